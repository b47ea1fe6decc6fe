"""What a page draws from: the settings, the source, the filter, the moment ranges end at,
report mode and the viewer's role. Made once per run by :mod:`audit.ui.page`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from audit.access import Role
from audit.config import Settings
from audit.db import Source
from audit.filters import AuditFilter
from audit.timerange import describe_window
from audit.ui.urlstate import NOW_PARAM


@dataclass(frozen=True)
class PageContext:
    settings: Settings
    source: Source
    filter: AuditFilter
    now: datetime
    now_pinned: bool = False
    report: bool = False
    role: Role = Role.ANALYST

    def view_params(self) -> dict[str, list[str]]:
        """What a link to another page carries: the filter, and a pinned ``now``."""
        params = self.filter.to_params()
        if self.now_pinned:
            params[NOW_PARAM] = [self.now.isoformat()]
        return params

    @property
    def window_text(self) -> str:
        return describe_window(self.filter.window(self.now), self.filter.tz)
