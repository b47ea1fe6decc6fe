"""Ids of the elements a page draws for machines: the last element of a complete page, and
the mark of a page that shows a problem. Pages draw them; report jobs and browser tests
wait for them."""

COMPLETE_MARKER_ID = "audit-page-complete"
PROBLEM_MARKER_ID = "audit-page-problem"
