"""Ids of the elements a page draws for machines: the last element of a complete page, and
the mark of a page that shows a problem. Pages draw them; report jobs and browser tests
wait for them. The complete page's mark names the role it was drawn for, so a report job
can check that its role is the one drawn."""

COMPLETE_MARKER_ID = "audit-page-complete"
PROBLEM_MARKER_ID = "audit-page-problem"
ROLE_ATTRIBUTE = "data-role"
