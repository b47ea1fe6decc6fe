"""The explorer table's columns: which exist (in the order analysts use them), which are
shown (chosen by the analyst, kept in the URL as ``columns=time,user,...``), how each is
drawn, and the page of rows as the frame the table shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from audit.vocab import (
    KNOWN_SEVERITIES,
    OUTCOME_COLORS,
    OUTCOMES,
    UNSET_SEVERITY,
    severity_color,
)

COLUMNS_PARAM = "columns"
ID_WIDTH = 62


@dataclass(frozen=True)
class Column:
    name: str  # its name in the URL and in the shown frame
    title: str
    width: int  # pixels; the table spreads what is left over the columns
    default: bool  # shown unless the analyst chose otherwise
    cell: Callable[[pd.DataFrame], list[Any]]  # its values, from a page of rows
    json: bool = False  # JSON text, drawn as JSON


def _text(name: str) -> Callable[[pd.DataFrame], list[Any]]:
    return lambda rows: [None if pd.isna(v) else str(v) for v in rows[name]]


def _json(name: str) -> Callable[[pd.DataFrame], list[Any]]:
    def cells(rows: pd.DataFrame) -> list[Any]:
        return [
            None if v is None or v in ({}, []) else json.dumps(v, ensure_ascii=False)
            for v in rows[name]
        ]

    return cells


def _resource(rows: pd.DataFrame) -> list[str]:
    return [
        str(t) if pd.isna(i) else f"{t} {i}"
        for t, i in zip(rows["resource_type"], rows["resource_id"], strict=True)
    ]


def _tags(rows: pd.DataFrame) -> list[str | None]:
    return [", ".join(map(str, v)) if isinstance(v, list) and v else None for v in rows["tags"]]


COLUMNS: tuple[Column, ...] = (
    Column("time", "Time", 142, True, lambda rows: rows["created_at"].reset_index(drop=True)),
    Column("outcome", "Outcome", 86, True, lambda rows: [[v] for v in rows["outcome"]]),
    Column(
        "severity",
        "Severity",
        76,
        True,
        lambda rows: [[UNSET_SEVERITY if pd.isna(v) else str(v)] for v in rows["severity"]],
    ),
    Column("user", "User", 160, True, _text("user")),
    Column("action", "Action", 124, True, _text("action")),
    Column("resource", "Resource", 124, True, _resource),
    Column("description", "Description", 420, True, _text("description")),
    Column("ip", "IP", 120, True, _text("ip_address")),
    Column("category", "Category", 110, False, _text("category")),
    Column("error", "Error", 220, False, _text("error_message")),
    Column("agent", "User agent", 220, False, _text("user_agent")),
    Column("session", "Session", 150, False, _text("session_id")),
    Column("request", "Request", 150, False, _text("request_id")),
    Column("tags", "Tags", 150, False, _tags),
    Column("details", "Details", 240, False, _json("details"), json=True),
    Column("metadata", "Metadata", 240, False, _json("metadata"), json=True),
    Column("old_values", "Before", 240, False, _json("old_values"), json=True),
    Column("new_values", "After", 240, False, _json("new_values"), json=True),
)
BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
DEFAULT: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.default)


def parse_columns(text: str | None) -> tuple[tuple[str, ...], list[str]]:
    """The chosen columns from ``columns=...`` (in the table's own order), and the names
    that are not columns (for a notice). No parameter, or none valid: the default ones."""
    if not text:
        return DEFAULT, []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    chosen = tuple(c.name for c in COLUMNS if c.name in names)
    return chosen or DEFAULT, unknown


def columns_param(chosen: tuple[str, ...]) -> str | None:
    """The URL value for a choice; ``None`` (no parameter) for the default one."""
    ordered = tuple(c.name for c in COLUMNS if c.name in chosen)
    return None if ordered == DEFAULT or not ordered else ",".join(ordered)


def table_frame(rows: pd.DataFrame, chosen: tuple[str, ...]) -> pd.DataFrame:
    """The rows as the table shows them: the id first (always), then the chosen columns.
    A plain column, never the index: the table hides an index of consecutive ids."""
    shown = {"id": [int(i) for i in rows["id"]]}
    shown |= {name: BY_NAME[name].cell(rows) for name in chosen}
    return pd.DataFrame(shown, index=pd.RangeIndex(len(rows)))


def column_config(chosen: tuple[str, ...], tz: str) -> dict[str, Any]:
    cc = st.column_config
    widths = {c.name: c.width for c in COLUMNS}
    config: dict[str, Any] = {
        "id": cc.NumberColumn("ID", format="%d", width=ID_WIDTH, help="The event's id"),
        "time": cc.DatetimeColumn(
            f"Time ({tz})", format="YYYY-MM-DD HH:mm:ss", timezone=tz, width=widths["time"]
        ),
        "outcome": cc.MultiselectColumn(
            "Outcome",
            options=list(OUTCOMES),
            color=[OUTCOME_COLORS[o] for o in OUTCOMES],
            width=widths["outcome"],
        ),
        "severity": cc.MultiselectColumn(
            "Severity",
            options=[*KNOWN_SEVERITIES, UNSET_SEVERITY],
            color=[severity_color(s) for s in (*KNOWN_SEVERITIES, UNSET_SEVERITY)],
            width=widths["severity"],
        ),
    }
    for column in COLUMNS:
        if column.name in chosen and column.name not in config:
            kind = cc.JsonColumn if column.json else cc.TextColumn
            config[column.name] = kind(column.title, width=column.width)
    return {name: value for name, value in config.items() if name == "id" or name in chosen}
