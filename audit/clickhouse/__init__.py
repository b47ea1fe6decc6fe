"""ClickHouse as the aggregate engine for large deployments: a copy of the analytic columns
of ``audit_logs`` that every dashboard replica reads and one sync command keeps current
(``python -m audit.clickhouse sync``). See docs/clickhouse.md."""

from audit.clickhouse.engine import is_clickhouse_url
from audit.clickhouse.store import ClickHouse, ClickHouseState

__all__ = ["ClickHouse", "ClickHouseState", "is_clickhouse_url"]
