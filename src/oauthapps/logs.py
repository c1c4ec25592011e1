"""The server's two log formats, defined here once: ``text`` (a line for a person) and ``json`` (one
JSON object per line, for a log collector). Both the ``logging`` records and the access log
(http/access_log.py) are written in the format chosen with ``--log-format`` or
``OAUTHAPPS_LOG_FORMAT``.

What a line may hold: the request's method, route template, path (never the query string),
status, time taken, request id, and the project and OAuth app (client) ids once known. Never a
secret, token, code or password: no log call passes one, parameters and bodies are never logged,
and the database layer hides statement parameters (store/database.py). A test drives the flows
that carry them and greps every line for them (tests/e2e/test_observability.py).

The request's context (``RequestLog``) is held in a context variable, so that a line logged deep
in a service during a request carries the request id without being passed it."""

from __future__ import annotations

import logging
import os
import time
import traceback
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

import orjson

from .text_safety import log_field, terminal_safe

LOG_FORMAT_ENV = "OAUTHAPPS_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def log_format_from_env() -> LogFormat:
    raw = (os.environ.get(LOG_FORMAT_ENV) or LogFormat.TEXT).strip().lower()
    try:
        return LogFormat(raw)
    except ValueError:
        raise ValueError(f"{LOG_FORMAT_ENV} must be text or json") from None


class RequestLog:
    """What the log knows of the request in progress; handlers add the project and client."""

    __slots__ = ("client_id", "project_id", "request_id")

    def __init__(self, request_id: str):
        self.request_id = request_id
        self.project_id: str | None = None
        self.client_id: str | None = None


_current: ContextVar[RequestLog | None] = ContextVar("oauthapps_request_log", default=None)


def begin_request(request_id: str) -> RequestLog:
    """Called by the request middleware in the request's own task (each request is one)."""
    entry = RequestLog(request_id)
    _current.set(entry)
    return entry


def note_caller(project_id: str | None = None, client_id: str | None = None) -> None:
    """Record who the request acts for, once authenticated (ids only: never a credential)."""
    entry = _current.get()
    if entry is None:
        return
    if project_id:
        entry.project_id = project_id
    if client_id:
        entry.client_id = client_id


def iso_time(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int((now % 1) * 1000):03d}Z"


def json_line(fields: dict[str, Any]) -> str:
    return orjson.dumps(fields).decode() + "\n"


class JsonFormatter(logging.Formatter):
    """A ``logging`` record as one JSON object; the request id of the request in progress, if any."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": terminal_safe(record.getMessage()),
        }
        entry = _current.get()
        if entry is not None:
            fields["request_id"] = entry.request_id
            if entry.project_id:
                fields["project_id"] = entry.project_id
            if entry.client_id:
                fields["client_id"] = entry.client_id
        if record.exc_info:
            fields["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return orjson.dumps(fields).decode()


def configure_logging(log_format: LogFormat | None = None) -> None:
    """The server's log lines (every process of it: the supervisor and each worker), on stderr."""
    chosen = log_format or log_format_from_env()
    root = logging.getLogger()
    if getattr(root, "_oauthapps_format", None) == chosen:
        return  # already set up in this process (the worker and the app factory both call this)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if chosen is LogFormat.JSON else logging.Formatter(TEXT_FORMAT))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up lines say nothing to an operator
    root._oauthapps_format = chosen  # type: ignore[attr-defined]


def access_line(
    log_format: LogFormat,
    stamp: str,
    method: str,
    route: str,
    path: str,
    status: int,
    elapsed_ms: float,
    entry: RequestLog,
) -> str:
    """One access log line; ``stamp`` is the request's end as ISO 8601 UTC."""
    if log_format is LogFormat.TEXT:
        return (
            f"{stamp} access {log_field(method)} {log_field(path)} {status} {elapsed_ms:.1f}ms request_id={log_field(entry.request_id)}\n"
        )
    fields: dict[str, Any] = {
        "time": stamp,
        "level": "info",
        "logger": "oauthapps.access",
        "message": "access",
        "request_id": entry.request_id,
        "method": terminal_safe(method),
        "route": route,
        "path": terminal_safe(path),
        "status": status,
        "duration_ms": round(elapsed_ms, 2),
    }
    if entry.project_id:
        fields["project_id"] = entry.project_id
    if entry.client_id:
        fields["client_id"] = entry.client_id
    return json_line(fields)
