"""The access log: one line per request, written in batches.

Why not ``logging``: a record, a formatted timestamp and a flushed write per request cost about
50 µs, a sixth of a token request (docs/benchmarks.md). Here a line is one f-string appended to a
buffer, and the buffer goes out in one write every FLUSH_SECONDS or MAX_LINES lines, as nginx's
``access_log ... buffer= flush=`` does. The line holds the method, the path (never the query
string, which may carry codes and tokens), the status, the time taken and the request id; in the
JSON format (logs.py, where both formats are defined) also the route template and the project and
client ids once known.

Every field is passed through ``log_field`` (text_safety.py) first: a path is percent-decoded by the server, so a
request for ``/x%0A...`` would otherwise write a forged line, and ``%1B[...`` escape sequences would
reach whoever reads the log in a terminal.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from .. import clock
from ..logs import LogFormat, RequestLog, access_line

FLUSH_SECONDS = 0.5
MAX_LINES = 512


class AccessLog:
    def __init__(self, stream: TextIO | None = None, log_format: LogFormat = LogFormat.TEXT):
        self._stream = stream
        self._format = log_format
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

    def record(self, method: str, route: str, path: str, status: int, elapsed_ms: float, entry: RequestLog) -> None:
        line = access_line(self._format, self._timestamp(clock.timestamp()), method, route, path, status, elapsed_ms, entry)
        self._lines.append(line)
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
