"""What the demo data is made of when nothing else is asked for."""

from __future__ import annotations

from audit.config import DEMO_DB_URL

DEFAULT_ROWS = 50_000
DEFAULT_DAYS = 90
DEFAULT_SEED = 7
DEFAULT_URL = DEMO_DB_URL
