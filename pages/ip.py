"""Profile of one IP address (``ip?ip=203.0.113.9``: the filter's own IP parameter). It
shows rows and per-address details: analysts only."""

import streamlit as st

from audit.ui import security as sections
from audit.ui.context import rows_allowed
from audit.ui.page import context

ctx = context()

ip = ctx.filter.ip
named = bool(ip) and ctx.role.sees_rows  # a viewer's page names no address
st.title(f"IP profile: {sections.markdown_code(ip)}" if named else "IP profile")
if rows_allowed(ctx.role):
    if ip:
        st.caption(ctx.window_text)
        sections.ip_profile(ctx, sections.url_thresholds(ctx.settings))
    else:
        st.info(
            "Open an IP from the Security page, or name one in the URL: ip?ip=203.0.113.9",
            icon=":material/lan:",
        )
