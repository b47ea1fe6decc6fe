"""One event in full, by URL: event?id=123."""

import streamlit as st

from audit.filters import parse_id
from audit.ui.context import rows_allowed
from audit.ui.event import event_detail
from audit.ui.page import context

ctx = context()

st.title("Event detail")
if not ctx.report:
    back = ctx.view_params()
    st.page_link(
        "pages/explorer.py",
        label="Back to the Explorer",
        icon=":material/arrow_back:",
        query_params=back,
    )
event_id = parse_id(st.query_params.get("id"))
if rows_allowed(ctx.role):
    if event_id is not None:
        event_detail(ctx, event_id)
    else:
        st.warning("Give the event's id in the URL, e.g. event?id=123.", icon=":material/link_off:")
