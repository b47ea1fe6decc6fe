"""The browser benchmark (``python -m audit.tools.bench --browser``): speed as a person feels
it. The dashboard's views are timed in headless Chromium until fully drawn, by the snapshot
command's readiness rule, in a fresh browser context, on reload, a minute later, after a
filter change and after a click-through from a chart, each against a floor page (seven
metrics and seven plotly charts, no database) measured in the same run.

- ``floor_app``: the floor page, started as its own Streamlit server;
- ``views``: what is opened, and what the database tells about it;
- ``timing``: one timed action, and the server's CPU time meanwhile;
- ``scenarios``: the situations, each a short script of what a person does;
- ``run``: one run: both servers, one browser, every view in every scenario;
- ``report``: medians, spread, ratios to the floor, the targets, the written report;
- ``transfer``: bytes a fresh page load transfers, direct and behind a compressing nginx;
- ``relay``, ``nginx``: a byte-counting relay, and nginx compressing in front of Streamlit;
- ``cli``: the command line.
"""
