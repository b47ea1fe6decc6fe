"""Explorer for analysts: search, facets, every matching row a page at a time, and the
selected event in full."""

import streamlit as st

from audit.ui.context import rows_allowed
from audit.ui.event import event_panel
from audit.ui.explorer import facet_panel, results, search_bar
from audit.ui.exporting import export_panel
from audit.ui.page import context
from audit.ui.related import related_section

ctx = context()

st.title("Explorer")
st.caption(ctx.window_text)
if rows_allowed(ctx.role):
    if not ctx.report:
        search_bar(ctx)
        facet_panel(ctx)
        export_panel(ctx)
    selected = results(ctx)
    if selected is not None:
        st.divider()
        event = event_panel(ctx, selected, beside_table=False)
        if event is not None:
            related_section(ctx, event)
