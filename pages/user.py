"""Profile of one user: to be filled by the security issue."""

import streamlit as st

from audit.ui.page import context

context()
st.title("User profile")
st.info("User profiles are not built yet.", icon=":material/construction:")
