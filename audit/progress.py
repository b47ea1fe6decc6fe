"""A progress bar for command-line tools that copy many rows (the demo writer, the mirror)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, width: int = 30) -> None:
        self.width, self.last = width, 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        frac = done / total if total else 1.0
        filled = int(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r[{bar}] {frac:6.1%} {done:,}/{total:,} rows")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
