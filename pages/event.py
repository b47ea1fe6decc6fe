"""One event in full, by URL: event?id=123. The sidebar filters nothing here: the page is
about the event alone (the filter stays in the URL for the way back)."""

import streamlit as st

from audit.filters import parse_id
from audit.ui.context import rows_allowed
from audit.ui.event import event_panel
from audit.ui.page import context, heading
from audit.ui.related import related_section

ctx = context()

heading(ctx, "Event detail", with_range=False)
if not ctx.report:
    st.page_link(
        "pages/explorer.py",
        label="Back to the Explorer",
        icon=":material/arrow_back:",
        query_params=ctx.view_params(),
    )
event_id = parse_id(st.query_params.get("id"))
if rows_allowed(ctx.role):
    event = event_panel(ctx, event_id, beside_table=False) if event_id is not None else None
    if event is not None:
        related_section(ctx, event)
    elif event_id is None:
        st.warning("Give the event's id in the URL, e.g. event?id=123.", icon=":material/link_off:")
