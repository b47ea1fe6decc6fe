"""Filters: the model (:class:`AuditFilter`), its URL form, its SQL and its words. Each
dimension comes from the registry in :mod:`audit.dimensions`."""

from audit.dimensions import escape_like, exclusion, parse_id, split_exclusion
from audit.filters.model import AuditFilter, Params
from audit.filters.params import FILTER_PARAM_NAMES, MAX_TEXT_LENGTH, parse_filter
from audit.filters.sql import contains_text, time_clause, where_clause
from audit.filters.words import describe_filter

__all__ = [
    "FILTER_PARAM_NAMES",
    "MAX_TEXT_LENGTH",
    "AuditFilter",
    "Params",
    "contains_text",
    "describe_filter",
    "escape_like",
    "exclusion",
    "parse_filter",
    "parse_id",
    "split_exclusion",
    "time_clause",
    "where_clause",
]
