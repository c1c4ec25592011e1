"""``GET /health/alive`` (the process answers: 200 always) and ``GET /health/ready`` (200 when
this process can serve: store/readiness.py; else 503), each with a small JSON body that names
checks and states only. Not access-logged: a load balancer polls them every second or so."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..runtime import Runtime
from .responses import FastJSONResponse

PATHS = ("/health/alive", "/health/ready")
NO_CACHE = {"Cache-Control": "no-store"}


async def alive(_request: Request) -> Response:
    return FastJSONResponse({"status": "alive"}, headers=NO_CACHE)


async def ready(request: Request) -> Response:
    runtime: Runtime = request.state.app
    state = await runtime.readiness.check()
    return FastJSONResponse(state.to_wire(), status_code=200 if state.ready else 503, headers=NO_CACHE)


routes = [
    Route(PATHS[0], alive, methods=["GET"]),
    Route(PATHS[1], ready, methods=["GET"]),
]
