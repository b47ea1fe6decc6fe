"""Entry point: ``streamlit run app.py``. Registers every page explicitly."""

import streamlit as st

from audit.ui.page import mark_complete, setup

st.set_page_config(page_title="Audit log analytics", page_icon=":material/policy:", layout="wide")

overview = st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)
explorer = st.Page(
    "pages/explorer.py", title="Explorer", icon=":material/table_rows:", url_path="explorer"
)
security = st.Page(
    "pages/security.py", title="Security", icon=":material/shield:", url_path="security"
)
event = st.Page(
    "pages/event.py", title="Event detail", icon=":material/description:", url_path="event"
)

# Hidden: the sidebar links drawn by setup() carry the filter, Streamlit's own would drop it.
navigation = st.navigation(
    [overview, explorer, security, event, ip_profile, user_profile], position="hidden"
)
setup([overview, explorer, security])
navigation.run()
mark_complete()
