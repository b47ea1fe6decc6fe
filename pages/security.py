"""Security drilldowns (detections and profiles): to be filled by the security issue."""

import streamlit as st

from audit.ui.context import source_or_stop

source_or_stop()
st.title("Security")
st.info("Security detections are not built yet.", icon=":material/construction:")
