"""The access log: one line per request, written in batches.

Why not ``logging``: a record, a formatted timestamp and a flushed write per request cost about
50 µs, a sixth of a token request (docs/benchmarks.md). Here a line is one f-string appended to a
buffer, and the buffer goes out in one write every FLUSH_SECONDS or MAX_LINES lines, as nginx's
``access_log ... buffer= flush=`` does. The line holds the method, the path (never the query
string, which may carry codes and tokens), the status, the time taken and the request id.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from .. import clock

FLUSH_SECONDS = 0.5
MAX_LINES = 512


class AccessLog:
    def __init__(self, stream: TextIO | None = None):
        self._stream = stream
        self._lines: list[str] = []
        self._flush_scheduled = False
        self._second = -1
        self._stamp = ""

    def _timestamp(self, now: float) -> str:
        second = int(now)
        if second != self._second:  # strftime once per second, not once per request
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._stamp}.{int((now - second) * 1000):03d}Z"

    def record(self, method: str, path: str, status: int, elapsed_ms: float, request_id: str) -> None:
        self._lines.append(
            f"{self._timestamp(clock.timestamp())} access {method} {path} {status} {elapsed_ms:.1f}ms request_id={request_id}\n"
        )
        if len(self._lines) >= MAX_LINES:
            self.flush()
        elif not self._flush_scheduled:
            try:
                asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
                self._flush_scheduled = True
            except RuntimeError:  # no loop (a synchronous caller): write at once
                self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        if not self._lines:
            return
        text, self._lines = "".join(self._lines), []
        stream = self._stream or sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stream must not fail requests
            pass
