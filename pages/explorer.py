"""Explorer for analysts: search, facets, every matching row a page at a time, and the
selected event in full beside the table."""

from audit.ui.context import rows_allowed
from audit.ui.explorer import filters
from audit.ui.page import context, heading
from audit.ui.results import results

ctx = context()

heading(ctx, "Explorer")
if rows_allowed(ctx.role):
    if not ctx.report:
        filters(ctx)
    results(ctx)
