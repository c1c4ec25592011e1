"""Route declarations shared by the API modules, so that what is said about a route is said once,
beside its handler:

- ``PublicRoute`` marks a route a browser calls cross-origin; the CORS allow-list is computed from
  these marks when the app is built (cors.py).
- ``Operation`` declares one documented route of the management API (method, path, handler,
  request and response models); its plain Starlette route and its OpenAPI entry (openapi.py) are
  both made from it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPMethod
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, compile_path

from .responses import wire_errors

Endpoint = Callable[[Request], Awaitable[Response]]


class PublicRoute(Route):
    """A route a browser calls from any origin (a Headless site's JavaScript, as the Wix SDK does),
    authorised only by what the request carries; cors.py says why that is safe. A marker only: it
    matches and answers exactly as a ``Route``, at no cost per request."""


@dataclass(frozen=True)
class Operation:
    """One route of a documented API, relative to the API's prefix (``""`` is the collection
    itself). ``endpoint`` answers domain errors in the Wix wire format once routed (wire_errors).
    ``hot`` routes are tried ahead of the other APIs' routes (http/routes.py)."""

    method: HTTPMethod
    path: str
    endpoint: Endpoint
    operation_id: str
    summary: str
    response: type[BaseModel]
    request: type[BaseModel] | None = None
    hot: bool = False
    idempotent: bool = False  # takes an Idempotency-Key header (domain/idempotency.py)
    parameters: tuple[dict[str, Any], ...] = ()  # OpenAPI entries of query parameters the handler reads

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(compile_path(self.path)[2])

    def route(self, prefix: str) -> Route:
        """The plain Starlette route: no validation or dependency layer between the router and
        the handler, which parses its own input."""
        return Route(f"{prefix}{self.path}", wire_errors(self.endpoint), methods=[self.method])
