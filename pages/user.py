"""Profile of one user (``user?id=17``; ``user`` itself is the filter's users parameter).
It shows rows and the account's details: analysts only."""

import streamlit as st

from audit.filters import parse_id
from audit.ui.context import rows_allowed
from audit.ui.page import context
from audit.ui.safe import markdown_code
from audit.ui.security.profiles import user_account, user_profile
from audit.ui.security.thresholds import url_thresholds

ctx = context()

user_id = parse_id(st.query_params.get("id"))
if user_id is None or not ctx.role.sees_rows:  # a viewer's page names no one
    st.title("User profile")
if rows_allowed(ctx.role):
    if user_id is None:
        st.info(
            "Open a user from the Security page, or name one in the URL: user?id=17",
            icon=":material/person:",
        )
    else:
        title = st.empty()
        label = user_account(ctx, user_id)
        title.title(f"User profile: {markdown_code(label)}")
        st.caption(ctx.window_text)
        user_profile(ctx, url_thresholds(ctx.settings), user_id)
