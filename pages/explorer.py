"""Explorer for analysts: search, facets, every matching row a page at a time, and the
selected event in full beside the table."""

import streamlit as st

from audit.ui.context import rows_allowed
from audit.ui.explorer import filters
from audit.ui.page import context
from audit.ui.results import results

ctx = context()

st.title("Explorer")
st.caption(ctx.window_text)
if rows_allowed(ctx.role):
    if not ctx.report:
        filters(ctx)
    results(ctx)
