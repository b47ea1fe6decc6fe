"""Explorer for analysts: the matching events, newest first."""

import streamlit as st

from audit import queries
from audit.ui.context import settings_or_stop, source_or_stop
from audit.ui.state import current_filter, query_now

settings = settings_or_stop()
source = source_or_stop()
flt = current_filter(settings.default_timezone)
now = query_now()

st.title("Explorer")
page = queries.page_rows(source, flt, now, size=50)
shown = page.rows[
    [
        "created_at",
        "user",
        "action",
        "resource_type",
        "severity",
        "outcome",
        "ip_address",
        "description",
    ]
]
st.dataframe(shown, hide_index=True, width="stretch")
