"""One event in full: to be filled by the explorer issue."""

import streamlit as st

from audit.ui.page import context

context()
st.title("Event detail")
st.info("Open an event from the Explorer.", icon=":material/construction:")
