"""The supervisor's side of the multi-process mode: a private directory for the workers' value
files (made ``0700`` and empty on every start, removed at the end), and the bookkeeping when a
worker exits (its live gauges go; its counters stay, as a dead worker's requests happened)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

from .exposition import MULTIPROC_ENV


class MetricsDirectory:
    """Set up before the first worker starts (workers are spawned and inherit the environment);
    a directory named in ``PROMETHEUS_MULTIPROC_DIR`` already is used, emptied of old values."""

    def __init__(self) -> None:
        given = os.environ.get(MULTIPROC_ENV)
        if given:
            self.path, self.owned = Path(given), False
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            for old in self.path.glob("*.db"):  # a previous run's values would be added to ours
                old.unlink(missing_ok=True)
        else:
            self.path, self.owned = Path(tempfile.mkdtemp(prefix="oauthapps-metrics-")), True
            os.environ[MULTIPROC_ENV] = str(self.path)

    def worker_exited(self, pid: int | None) -> None:
        if pid is not None:
            with contextlib.suppress(OSError):
                multiprocess.mark_process_dead(pid, str(self.path))  # type: ignore[no-untyped-call]

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
