"""Entry point: ``streamlit run app.py``. Registers every page explicitly."""

import streamlit as st

st.set_page_config(
    page_title="Audit log analytics",
    page_icon=":material/policy:",
    layout="wide",
)

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(
        "pages/explorer.py", title="Explorer", icon=":material/table_rows:", url_path="explorer"
    ),
    st.Page("pages/security.py", title="Security", icon=":material/shield:", url_path="security"),
    st.Page(
        "pages/event.py", title="Event detail", icon=":material/description:", url_path="event"
    ),
]

st.navigation(PAGES).run()
