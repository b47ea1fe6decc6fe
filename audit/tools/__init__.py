"""Operational tools, run from the command line: the demo data writer
(``python -m audit.tools.demo``), the benchmark (``audit.tools.bench``), the load test
(``audit.tools.loadtest``) and the index advisor (``audit.tools.indexes``).

They use the dashboard's modules; the dashboard does not use them, except once at start-up
to create the embedded demo database (``audit.ui.context``). ``tests/test_layers.py`` keeps
it so.
"""
