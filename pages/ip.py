"""Profile of one IP address: to be filled by the security issue."""

import streamlit as st

from audit.ui.page import context

context()
st.title("IP profile")
st.info("IP profiles are not built yet.", icon=":material/construction:")
