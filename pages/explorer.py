"""Explorer for analysts: the matching events, newest first."""

import streamlit as st

from audit import queries
from audit.ui.page import context

ctx = context()

st.title("Explorer")
st.caption(ctx.window_text)
page = queries.page_rows(ctx.source, ctx.filter, ctx.now, size=50)
columns = [
    "created_at",
    "user",
    "action",
    "resource_type",
    "severity",
    "outcome",
    "ip_address",
    "description",
]
st.dataframe(page.rows[columns], hide_index=True, width="stretch")
