"""Streamlit components shared by the pages. The only part of ``audit`` that imports streamlit."""
