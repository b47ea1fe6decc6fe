"""The benchmark: ``python -m audit.tools.bench`` (see docs/performance.md).

It builds N demo rows (default 1,000,000) in SQLite and, when a PostgreSQL server is given,
in PostgreSQL, or uses the databases given with ``--url`` (read only), then measures, each
in a fresh process so that times are cold and memory peaks are the operation's own:

- the overview page (filter-bar facets, KPIs, both volume charts, three top lists, the
  severity-by-category and rhythm heatmaps) over the whole range, from the source
  database one query after the other, from the source with the queries run concurrently,
  and from the DuckDB mirror; and the naive way (``pandas.read_sql`` of the whole table,
  then pandas);
- the explorer's first page for five filters, a free-text search, the page reached after
  paging 1,000 times by keyset, the security page, and a CSV export of every row;
- building the mirror, syncing 10,000 new rows into it, and a full verification pass;
- the peak memory of a dashboard process rendering every page (Streamlit's AppTest),
  against a 10,000-row database and the large one.

Source-side measurements run without and then with the indexes of :mod:`audit.tools.indexes`
(on databases the benchmark built; a given ``--url`` is measured as found). "Cold" is the
first run in a new process: no result cache, connections open, the database's and the OS's
own caches as they are (flushing them needs a server restart). "Warm" is the median of the
runs that follow in the same process. Memory is the growth of the process's peak resident
set during the cold run (Linux ``/proc/self/clear_refs``), so DuckDB's and the drivers'
native memory count as well as Python's.

Results go to ``docs/performance.json`` and, as Markdown tables, into a section of
``docs/performance.md`` per database and size (other sections are kept).

The modules, in the order a run uses them:

- ``parameters``: sizes, filters, limits and the labels results are found by;
- ``databases``: the demo databases built (or the ones given with ``--url``);
- ``scenarios``: every measurement of a run over one database;
- ``operations``: one measurement, cold then warm, usually in a child process; what it
  runs comes from ``page_queries`` (the pages' queries), ``naive`` (read_sql + pandas) and
  ``dashboard`` (every page in AppTest); ``process`` reads the process's memory;
- ``checks``, ``machine``, ``report``: the targets, the machine, and the written report;
- ``__main__``: the command line.
"""
