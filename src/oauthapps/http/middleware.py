"""Per-request context, in one pure-ASGI layer (each layer wraps ``send`` once more, and this runs
on every request): an ``x-wix-request-id`` on every response and in the access log line, baseline
security headers, CORS on the public browser endpoints (cors.py), a 404 for any path with a NUL in
it, and a last-resort 500 in the wire format (never a stack trace to the client)."""

from __future__ import annotations

import logging
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.changes import begin_request
from . import cors
from .access_log import AccessLog, log_field
from .responses import application_error

log = logging.getLogger("oauthapps.http")

BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None):
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = cors.is_public(scope["path"])
        if public and cors.is_preflight(scope):
            await cors.preflight(scope, send)
            return
        begin_request()
        request_id = secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
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
            if "\x00" in scope["path"]:
                # Nothing is named with a NUL (PostgreSQL stores none in text): answered here,
                # before any handler hands such a name to the database.
                await application_error(404, "NOT_FOUND", "Not Found")(scope, receive, send_with_context)
            else:
                await self.app(scope, receive, send_with_context)
        except Exception:
            log.exception("unhandled error request_id=%s %s %s", request_id, log_field(scope["method"]), log_field(scope["path"]))
            if not response_started:
                response = application_error(500, "INTERNAL", f"Internal error; request id {request_id}")
                await response(scope, receive, send_with_context)
        finally:
            if self.access_log is not None:
                self.access_log.record(scope["method"], scope["path"], status, (time.perf_counter() - started) * 1000, request_id)
