"""The root ASGI app: the plain routes in their order (routes.py), then the management API's FastAPI
app for its document and whatever no route matched."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from ..config import Settings
from ..logs import configure_logging
from ..metrics.instruments import HttpMetrics
from ..runtime import Runtime
from ..services.purge import purge_periodically
from . import api_docs, cors, health
from . import metrics as metrics_endpoint
from .access_log import AccessLog
from .management import build_management_api
from .middleware import RequestContextMiddleware
from .routes import ROUTES


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    access_log = AccessLog(log_format=settings.log_format) if settings.access_log else None
    http_metrics = HttpMetrics() if settings.metrics else None

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = await Runtime.start(settings, http_metrics)
        interval = settings.purge_interval_seconds
        purger = asyncio.create_task(purge_periodically(runtime.db, interval)) if interval else None
        # Everything built so far (modules, routes, the engine, the keys) lives as long as the
        # process: keep it out of the cyclic GC, whose full collections would otherwise walk it
        # all, a pause of tens of ms in the middle of some request (the p99).
        gc.collect()
        gc.freeze()
        try:
            yield {"app": runtime}
        finally:
            if purger is not None:
                purger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purger
            try:
                await runtime.stop()
            finally:
                if access_log is not None:
                    access_log.flush()

    public_metrics = metrics_endpoint.routes if settings.metrics and settings.metrics_port is None else []
    routes = [
        *ROUTES,
        *health.routes,
        *public_metrics,
        *(api_docs.routes if settings.api_docs else []),
        Mount("", app=build_management_api()),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware, public=cors.allow_list(routes), access_log=access_log, metrics=http_metrics)
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    configure_logging()
    return create_app(Settings.from_env())
