"""A progress bar for long loads on a terminal (stderr), silent when not on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from pilotis.connectors.models import LoadRun


class TerminalProgress:
    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = self.stream.isatty()
        self.started = time.monotonic()

    def __call__(self, run: LoadRun) -> None:
        if not self.enabled:
            return
        done = int(run.progress * self.width)
        elapsed = time.monotonic() - self.started
        bar = "█" * done + "░" * (self.width - done)
        self.stream.write(f"\r{run.table} [{bar}] {run.progress:4.0%}  {elapsed:5.0f} s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
