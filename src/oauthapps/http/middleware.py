"""Per-request context, in one pure-ASGI layer (each layer wraps ``send`` once more, and this runs
on every request): an ``x-wix-request-id`` on every response and in the access log line, baseline
security headers, CORS on the public browser endpoints (cors.py), a 404 for any path with a NUL in
it, and a last-resort 500 in the wire format (never a stack trace to the client), logged once with
the request id.

An error that says the storage is unavailable or full (store/failures.py) is no bug: it is
answered 503/507 with Retry-After (responses.storage_failure) and counted in the process's
outage episode (store/health.py), which logs once at its start and once at its end.

A client that goes away mid-request (it closed the connection while its body was being read) is
not an error of ours: one line without a traceback, no 500 (nobody is there to read it), and
status 499 in the access log, as nginx writes it."""

from __future__ import annotations

import logging
import time

import anyio
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import ids, logs
from ..metrics.instruments import UNMATCHED_ROUTE, HttpMetrics
from ..store.change_feed import begin_request
from ..store.failures import StorageFailure, classify
from ..text_safety import log_field
from . import cors, health
from . import metrics as metrics_endpoint
from .access_log import AccessLog
from .oauth_apps import PREFIXES as OAUTH_APP_PREFIXES
from .responses import application_error, internal_error, storage_failure

log = logging.getLogger("oauthapps.http")

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
# How a vanished client shows: Starlette's body reader, or a receive on an anyio stream.
CLIENT_GONE = (ClientDisconnect, anyio.EndOfStream)
CLIENT_CLOSED_REQUEST = 499
# Polled by load balancers and scrapers every few seconds: counted in the metrics, not access-logged.
NOT_ACCESS_LOGGED = frozenset({*health.PATHS, metrics_endpoint.PATH})


def route_template(scope: Scope) -> str:
    """The matched route's path template (``/oauth-app/v1/oauth-apps/{id}``), never the raw path:
    a bounded label for the metrics and a field of the JSON access log."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, public: cors.AllowList, access_log: AccessLog | None = None, metrics: HttpMetrics | None = None):
        self.app = app
        self.public = public
        self.access_log = access_log
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = self.public.covers(scope["path"])
        if public and cors.is_preflight(scope):
            await cors.preflight(scope, send)
            return
        begin_request()
        request_id = ids.random_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        entry = logs.begin_request(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_context(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-wix-request-id", request_id.encode()))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in BASE_HEADERS if h[0] not in names)
                if public:
                    headers = cors.response_headers(headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            if "\x00" in scope["path"] and not scope["path"].startswith(OAUTH_APP_PREFIXES):
                # Nothing is named with a NUL (PostgreSQL stores none in text): answered here,
                # before any handler hands such a name to the database. The OAuth Apps API checks
                # its ids itself and answers OAUTH_APP_NOT_FOUND, as Wix does.
                await application_error(404, "NOT_FOUND", "Not Found")(scope, receive, send_with_context)
            else:
                await self.app(scope, receive, send_with_context)
        except CLIENT_GONE:
            status = CLIENT_CLOSED_REQUEST
            log.info("client disconnected request_id=%s %s %s", request_id, log_field(scope["method"]), log_field(scope["path"]))
        except Exception as exc:
            failure = classify(exc)
            if failure is not None:
                _count_refusal(scope, failure)
                if not response_started:
                    await storage_failure(failure, request_id, scope["path"])(scope, receive, send_with_context)
                return
            # The path, never the query string nor the body: either may carry secrets.
            log.exception("unhandled error request_id=%s %s %s", request_id, log_field(scope["method"]), log_field(scope["path"]))
            if not response_started:
                await internal_error(request_id)(scope, receive, send_with_context)
        finally:
            elapsed = time.perf_counter() - started
            if self.metrics is not None or self.access_log is not None:
                route = route_template(scope)
                if self.metrics is not None:
                    self.metrics.observe(scope["method"], route, status, elapsed)
                if self.access_log is not None and scope["path"] not in NOT_ACCESS_LOGGED:
                    self.access_log.record(scope["method"], route, scope["path"], status, elapsed * 1000, entry)


def _count_refusal(scope: Scope, failure: StorageFailure) -> None:
    """Into the outage episode of this process's database (the lifespan state's Runtime)."""
    runtime = scope.get("state", {}).get("app")
    if runtime is not None:
        runtime.db.health.refused(failure)
    log.debug(
        "storage %s request_id=%s %s %s",
        failure.state,
        scope["state"].get("request_id"),
        log_field(scope["method"]),
        log_field(scope["path"]),
    )
