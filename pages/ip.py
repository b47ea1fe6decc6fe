"""Profile of one IP address (``ip?ip=203.0.113.9``: the filter's own IP parameter). It
shows rows and per-address details: analysts only."""

import streamlit as st

from audit.ui.context import rows_allowed
from audit.ui.page import context
from audit.ui.safe import markdown_code
from audit.ui.security.profiles import ip_profile
from audit.ui.security.thresholds import url_thresholds

ctx = context()

ip = ", ".join(ctx.filter.ip)  # one address, as a rule; patterns and lists work too
named = bool(ip) and ctx.role.sees_rows  # a viewer's page names no address
st.title(f"IP profile: {markdown_code(ip)}" if named else "IP profile")
if rows_allowed(ctx.role):
    if ip:
        st.caption(ctx.window_text)
        ip_profile(ctx, url_thresholds(ctx.settings))
    else:
        st.info(
            "Open an IP from the Security page, or name one in the URL: ip?ip=203.0.113.9",
            icon=":material/lan:",
        )
