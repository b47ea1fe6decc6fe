"""The incidents the demo generator plants (:data:`STORY`) and the week before the demo's
end (:data:`WEEK`, as URL parameters) in which the security tests look for them."""

from __future__ import annotations

from datetime import timedelta

from audit.tools.demo import stories
from tests.support.databases import DEMO_DAYS, DEMO_END, DEMO_ROWS, DEMO_SEED

WEEK = {
    "range": "custom",
    "from": (DEMO_END - timedelta(days=7)).isoformat() + "+00:00",
    "to": DEMO_END.isoformat() + "+00:00",
    "tz": "UTC",
}
STORY = stories(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END, rows=DEMO_ROWS)
