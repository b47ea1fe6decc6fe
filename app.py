"""Entry point: ``streamlit run app.py``. Registers every page explicitly."""

import sqlalchemy as sa
import streamlit as st

from audit.ui import overview as overview_sections
from audit.ui.context import show_query_failure
from audit.ui.explorer import planned_calls as explorer_calls
from audit.ui.filterbar import BarMode
from audit.ui.page import mark_complete, setup
from audit.ui.security import thresholds as security_sections

st.set_page_config(page_title="Audit log analytics", page_icon=":material/policy:", layout="wide")


def page(path: str, title: str, icon: str, url_path: str | None = None) -> st.Page:
    return st.Page(
        path, title=title, icon=f":material/{icon}:", url_path=url_path, default=url_path is None
    )


overview = page("pages/overview.py", "Overview", "dashboard")
explorer = page("pages/explorer.py", "Explorer", "table_rows", "explorer")
security = page("pages/security.py", "Security", "shield", "security")
event = page("pages/event.py", "Event detail", "description", "event")
ip_profile = page("pages/ip.py", "IP profile", "lan", "ip")
user_profile = page("pages/user.py", "User profile", "person", "user")

# Hidden: the sidebar links drawn by setup() carry the filter, Streamlit's own would drop it.
navigation = st.navigation(
    [overview, explorer, security, event, ip_profile, user_profile], position="hidden"
)
try:
    plans = {
        overview: overview_sections.planned_calls,
        explorer: explorer_calls,
        security: security_sections.planned_calls,
    }
    # The explorer filters with its own facets; an event's page is about the event alone.
    bars = {explorer: BarMode.TIME, event: BarMode.NONE}
    plan = plans.get(navigation)
    role = setup(
        [overview, explorer, security],
        current=navigation,
        plan=plan,
        bar=bars.get(navigation, BarMode.FULL),
    ).role
    navigation.run()
except sa.exc.DBAPIError as error:  # timeout or lost database: a message, not a traceback
    show_query_failure(error)
else:
    mark_complete(role)
