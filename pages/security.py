"""Security drilldowns (detections and profiles): to be filled by the security issue."""

import streamlit as st

from audit.ui.page import context

ctx = context()
st.title("Security")
st.caption(ctx.window_text)
st.info("Security detections are not built yet.", icon=":material/construction:")
