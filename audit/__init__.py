"""Audit-log analytics dashboard: everything except the Streamlit page scripts."""
