"""The root ASGI app: the plain routes in their order (routes.py), then the management API's FastAPI
app for its document and whatever no route matched."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from ..config import Settings
from ..runtime import Runtime
from . import cors
from .access_log import AccessLog
from .management import build_management_api
from .middleware import RequestContextMiddleware
from .routes import ROUTES


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    access_log = AccessLog() if settings.access_log else None

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        runtime = await Runtime.start(settings)
        # Everything built so far (modules, routes, the engine, the keys) lives as long as the
        # process: keep it out of the cyclic GC, whose full collections would otherwise walk it
        # all, a pause of tens of ms in the middle of some request (the p99).
        gc.collect()
        gc.freeze()
        try:
            yield {"app": runtime}
        finally:
            await runtime.stop()
            if access_log is not None:
                access_log.flush()

    routes = [*ROUTES, Mount("", app=build_management_api())]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware, public=cors.allow_list(routes), access_log=access_log)
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings.from_env())
