"""Which engine answers a query: the source database, the local columnar mirror, or
ClickHouse. Streamlit-free, so the dashboard, the benchmark and the command-line tools
route alike; the UI only caches what a :class:`Route` names.

- Aggregates go to the mirror when the settings want it, it has been built from this
  source, and it holds every column the filter reads; else to the source.
- With ``aggregate_engine = clickhouse`` they go to ClickHouse on the same terms (it holds
  the mirror's columns), once its sync command has copied this source and while every
  row's time is one ClickHouse holds. The dashboard never writes there.
- Rows (pages, events, exports and the counts behind the explorer's pages) always come
  from the source. Row lists that the mirror can narrow (:data:`ROWS_FOUND_IN_MIRROR`) are
  read from the source by ids the mirror finds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from audit import queries, security
from audit.config import Settings
from audit.db import Source
from audit.dimensions import REGISTRY, split_exclusion
from audit.filters import AuditFilter
from audit.mirror import Mirror, MirrorState
from audit.schema import audit_logs
from audit.security.incidents import find_incidents

if TYPE_CHECKING:
    from audit.clickhouse import ClickHouse, ClickHouseState

log = logging.getLogger(__name__)

QueryFunction = Callable[..., Any]

# Read from the source whatever the settings: the explorer's pages and the total they are
# counted against, positions, single events and their neighbours.
SOURCE_ONLY: frozenset[QueryFunction] = frozenset(
    {
        queries.count_events,
        queries.page_rows,
        queries.rows_before,
        queries.event_by_id,
        queries.related_timeline,
    }
)
# Rows read from the source by the ids of the mirror's newest matching rows (plus any id
# newer than the mirror holds); the function takes the mirror as ``ids_from``.
ROWS_FOUND_IN_MIRROR: frozenset[QueryFunction] = frozenset(
    {security.high_security_events, security.lifecycle, security.latest_events}
)


# Aggregates from ClickHouse, the rows they name from the source (ClickHouse reads one
# incident's few rows about three times slower than the database or the mirror).
ROWS_FROM_SOURCE_ON_CLICKHOUSE: frozenset[QueryFunction] = frozenset({find_incidents})


def mirror_can_answer(flt: AuditFilter) -> bool:
    """True when the mirror holds every column the filter reads: each dimension set or
    excluded must be a mirrored one, and the free-text search reads columns it lacks."""
    if flt.text:
        return False
    excluded = {split_exclusion(item)[0] for item in flt.excludes}
    return all(d.mirrored for d in REGISTRY if getattr(flt, d.field) or d.name in excluded)


def wants_mirror(aggregate_engine: str, estimated_rows: int, threshold_rows: int) -> bool:
    """Whether aggregates should come from the mirror under the ``aggregate_engine`` setting."""
    if aggregate_engine == "mirror":
        return True
    return aggregate_engine == "auto" and estimated_rows > threshold_rows


def estimate_rows(source: Source) -> int:
    """Rows in the source table, estimated from its id range (two primary-key lookups)."""
    statement = sa.select(sa.func.min(audit_logs.c.id), sa.func.max(audit_logs.c.id))
    with source.connect() as conn:
        low, high = conn.execute(statement).one()
    return 0 if low is None else int(high) - int(low) + 1


@dataclass(frozen=True)
class Call:
    """One query of a page: the function, its filter and further arguments. ``derive``
    (not part of the cache key) takes what the page needs from a shared result."""

    function: QueryFunction
    flt: AuditFilter
    args: tuple[Any, ...] = ()
    derive: Callable[[Any], Any] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return function_name(self.function)


def function_name(function: QueryFunction) -> str:
    """A query function's name: the cache key part and what routing looks up."""
    return f"{function.__module__}.{function.__qualname__}"


@dataclass(frozen=True)
class Route:
    """Where a call runs (``target``), the key naming that engine and its data in caches,
    and keyword arguments the engine needs (the mirror that finds a row list's ids)."""

    target: Source
    key: str
    engine: str
    kwargs: dict[str, Any] = field(default_factory=dict, compare=False)


def run(call: Call, route: Route, now: datetime) -> Any:
    """Run a call where its route says, uncached (the benchmark, the command-line tools)."""
    result = call.function(route.target, call.flt, now, *call.args, **route.kwargs)
    return call.derive(result) if call.derive else result


_SOURCE_ONLY_NAMES = frozenset(function_name(f) for f in SOURCE_ONLY)
_ROWS_FOUND_IN_MIRROR_NAMES = frozenset(function_name(f) for f in ROWS_FOUND_IN_MIRROR)
_ROWS_FROM_SOURCE_NAMES = frozenset(function_name(f) for f in ROWS_FROM_SOURCE_ON_CLICKHOUSE)
ESTIMATE_SECONDS = 300.0


@dataclass
class Router:
    """Decides the engine for every call of one process. Holds the opened mirror and a
    short-lived estimate of the source's size (``auto`` uses the mirror above a threshold)."""

    settings: Settings
    open_mirror: Callable[[Path], Mirror] = Mirror
    _mirrors: dict[Path, Mirror] = field(default_factory=dict)
    _clickhouse: dict[str, ClickHouse] = field(default_factory=dict)
    _estimates: dict[str, tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _estimated_rows(self, source: Source) -> int:
        cached = self._estimates.get(source.key)
        if cached and time.monotonic() - cached[0] < ESTIMATE_SECONDS:
            return cached[1]
        rows = estimate_rows(source)
        self._estimates[source.key] = (time.monotonic(), rows)
        return rows

    def mirror(self, source: Source) -> Mirror | None:
        """The mirror when the settings want one for this source, else ``None``; also
        ``None`` when it cannot be opened (say, another process holds the file)."""
        engine = self.settings.aggregate_engine
        if engine == "source":
            return None
        rows = self._estimated_rows(source) if engine == "auto" else 0
        if not wants_mirror(engine, rows, self.settings.mirror_threshold_rows):
            return None
        path = Path(self.settings.mirror_path)
        with self._lock:
            try:
                if path not in self._mirrors:
                    self._mirrors[path] = self.open_mirror(path)
            except (sa.exc.SQLAlchemyError, OSError) as exc:
                log.warning("The mirror at %s cannot be used: %s", path, exc)
                return None
            return self._mirrors[path]

    def clickhouse(self) -> ClickHouse | None:
        """ClickHouse (read-only) when the settings choose it, else ``None``."""
        if self.settings.aggregate_engine != "clickhouse":
            return None
        from audit.clickhouse import ClickHouse  # its client loads only when chosen

        url = self.settings.clickhouse_url
        with self._lock:
            if url not in self._clickhouse:
                timeout = self.settings.statement_timeout_seconds
                self._clickhouse[url] = ClickHouse(url, timeout_seconds=timeout)
            return self._clickhouse[url]

    def clickhouse_state(self, source: Source) -> ClickHouseState | None:
        """ClickHouse's state when it is chosen and has been built from this source (it may
        still decline to answer: see ``unheld``); else ``None``."""
        store = self.clickhouse()
        try:
            state = store.state() if store else None
        except sa.exc.SQLAlchemyError as exc:
            log.warning("ClickHouse cannot be read: %s", exc)
            return None
        if state is None or not state.built or state.source != source.key:
            return None
        return state

    def ready_state(self, source: Source) -> MirrorState | None:
        """The mirror's state when it is in use and built from this source, else ``None``."""
        mirror = self.mirror(source)
        state = mirror.state() if mirror else None
        if state is None or not state.built or state.source != source.key:
            return None
        return state

    def aggregate(self, source: Source, flt: AuditFilter) -> Route:
        """Where an aggregate over ``flt`` runs: the mirror (or ClickHouse) when it can
        answer."""
        store = self.clickhouse()
        if store is not None:
            state = self.clickhouse_state(source)
            if state is None or state.unheld or not mirror_can_answer(flt):
                return Route(source, source.key, "source")
            key = f"clickhouse:{store.key}:{state.source}:{state.version}"
            return Route(store.source_for(source), key, "clickhouse")
        mirror = self.mirror(source)
        state = self.ready_state(source) if mirror else None
        if mirror is None or state is None or not mirror_can_answer(flt):
            return Route(source, source.key, "source")
        return Route(mirror.source_for(source), f"mirror:{state.source}:{state.version}", "mirror")

    def route(self, call: Call, source: Source) -> Route:
        if call.name in _SOURCE_ONLY_NAMES:
            return Route(source, source.key, "source")
        found = self.aggregate(source, call.flt)
        if call.name in _ROWS_FOUND_IN_MIRROR_NAMES:
            ids_from = None if found.engine == "source" else found.target
            return Route(source, found.key, found.engine, {"ids_from": ids_from})
        if found.engine == "clickhouse" and call.name in _ROWS_FROM_SOURCE_NAMES:
            return Route(found.target, found.key, found.engine, {"rows_from": source})
        return found

    def sync_if_stale(self, source: Source, max_age: timedelta) -> MirrorState | None:
        """One bounded sync step once the mirror's data is older than ``max_age``; the
        state afterwards (``None`` when the mirror is not in use or not built)."""
        mirror, state = self.mirror(source), self.ready_state(source)
        if mirror is None or state is None:
            return state
        age = datetime.now(UTC).replace(tzinfo=None) - (state.as_of or datetime.min)
        if age >= max_age:
            mirror.sync_step(source)
            state = self.ready_state(source) or state
        return state

    def refresh(self, source: Source) -> None:
        """Bring the mirror (when in use) up to date by one bounded step, waiting for it."""
        mirror = self.mirror(source)
        if mirror is not None:
            mirror.sync_step(source, wait=True)


def freshness_text(as_of: datetime, now: datetime) -> str:
    """The freshness line, e.g. "data as of 12:03:55 UTC" (the date too when not today)."""
    moment = as_of.replace(tzinfo=UTC)
    shown = "%H:%M:%S" if moment.date() == now.astimezone(UTC).date() else "%Y-%m-%d %H:%M:%S"
    return f"data as of {moment.strftime(shown)} UTC"
