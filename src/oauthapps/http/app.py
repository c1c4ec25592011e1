"""The root ASGI app: protocol routes first, then the management API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount

from ..config import Settings
from ..state import AppState
from . import authorize, data, identity, members, oauth2, redirect_sessions
from .cors import PublicCorsMiddleware
from .management import build_management_api
from .middleware import RequestContextMiddleware


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        state = await AppState.start(settings)
        try:
            yield {"app": state}
        finally:
            await state.stop()

    routes = [
        *oauth2.routes, *authorize.routes, *redirect_sessions.routes, *identity.routes, *members.routes, *data.routes,
        Mount("", app=build_management_api()),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(RequestContextMiddleware)
    # Outermost, so every answer of a public browser endpoint (a last-resort 500 too) is readable cross-origin.
    app.add_middleware(PublicCorsMiddleware)
    return app


def create_app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (each worker process builds its own app)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings.from_env())
