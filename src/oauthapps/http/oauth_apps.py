"""The OAuth Apps API (Wix ``wix.headless.v1.OAuthAppService``), at /oauth-app/v1/oauth-apps and
/v1/oauth-apps. Every success is HTTP 200 with a JSON body, DELETE included.

Each route is declared once in OPERATIONS; its plain Starlette route (``routes``, ``hot_routes``)
and its OpenAPI entry (openapi.py, through management.py) are both made from that declaration.
Plain routes, because FastAPI's routing and dependency layer cost as much again as reading one
OAuth app (docs/benchmarks.md); FastAPI only publishes the document."""

from __future__ import annotations

from http import HTTPMethod
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ..domain.errors import FieldViolation, ValidationFailed
from ..domain.oauth_app import to_wire
from ..runtime import Runtime
from ..services import oauth_apps as service
from . import schemas
from .auth import authenticate
from .body import read_json_object
from .responses import FastJSONResponse
from .routing import Operation

# Both prefixes serve the same API; the first is the one documented.
PREFIXES = ("/oauth-app/v1/oauth-apps", "/v1/oauth-apps")
TAG = "OAuth Apps"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.Error, "description": text}
    for status, text in (
        (400, "Validation error or malformed JSON"),
        (401, "Missing or invalid credentials"),
        (403, "Missing permission scope"),
        (404, "OAuth app not found (also for another project's apps)"),
        (409, "Secret rule conflict"),
        (413, "Body larger than 1 MiB"),
    )
}


def _runtime(request: Request) -> Runtime:
    return request.state.app  # type: ignore[no-any-return]


async def _json(request: Request) -> dict[str, Any]:
    return await read_json_object(request, _runtime(request).settings.max_body_bytes)


def _object(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValidationFailed([FieldViolation(key, "must be an object", "TYPE")])
    return value


def _required_app(body: dict[str, Any]) -> Any:
    if body.get("oAuthApp") is None:
        raise ValidationFailed([FieldViolation("oAuthApp", "is required", "REQUIRED")])
    return _object(body, "oAuthApp")


async def create(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    body = await _json(request)
    created = await service.create(runtime.db, actor, _required_app(body))
    wire = to_wire(created.app)
    if created.secret is not None:
        wire["secret"] = created.secret
    return FastJSONResponse({"oAuthApp": wire})


async def query(request: Request) -> FastJSONResponse:
    """Apps come already in their wire shape; past COUNT_CAP matches the total is not counted
    (tooManyToCount, as Wix answers when counting would cost too much)."""
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    body = await _json(request)
    page, parsed = await service.query_page(runtime.db, actor, body.get("query"))
    return FastJSONResponse(
        {
            "oAuthApps": page.items,
            "pagingMetadata": {
                "count": len(page.items),
                "offset": parsed.offset,
                "total": page.total,
                "tooManyToCount": page.too_many,
            },
        }
    )


async def get(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    app = await service.get(runtime.db, actor, request.path_params["app_id"])
    return FastJSONResponse({"oAuthApp": to_wire(app)})


async def update(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    body = await _json(request)
    app = await service.update(runtime.db, actor, request.path_params["app_id"], _required_app(body), body.get("mask"))
    return FastJSONResponse({"oAuthApp": to_wire(app)})


async def delete(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    await service.delete(runtime.db, actor, request.path_params["app_id"])
    return FastJSONResponse({})


async def generate_secret(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    await _json(request)
    secret = await service.generate_secret(runtime.db, actor, request.path_params["app_id"])
    return FastJSONResponse({"oAuthAppSecret": secret})


async def get_secret(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    await service.check_secret_readable(runtime.db, actor, request.path_params["app_id"])
    raise AssertionError("unreachable")  # check_secret_readable always raises


async def rotate_secret(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    body = await _json(request)
    secret = await service.rotate_secret(runtime.db, actor, request.path_params["app_id"], body.get("gracePeriodSeconds"))
    return FastJSONResponse({"oAuthAppSecret": secret})


# The hot calls are reading one OAuth app (a template fetches its client at start-up) and
# querying (a dashboard lists a project's apps).
OPERATIONS = (
    Operation(
        HTTPMethod.POST,
        "",
        create,
        operation_id="createOAuthApp",
        summary="Create an OAuth app; the secret is returned once",
        request=schemas.CreateRequest,
        response=schemas.CreateResponse,
    ),
    Operation(
        HTTPMethod.POST,
        "/query",
        query,
        operation_id="queryOAuthApps",
        summary="Query OAuth apps",
        request=schemas.QueryRequest,
        response=schemas.QueryResponse,
        hot=True,
    ),
    Operation(
        HTTPMethod.GET,
        "/{app_id}",
        get,
        operation_id="getOAuthApp",
        summary="Get an OAuth app (never its secret)",
        response=schemas.OAuthAppResponse,
        hot=True,
    ),
    Operation(
        HTTPMethod.PATCH,
        "/{app_id}",
        update,
        operation_id="updateOAuthApp",
        summary="Update the fields named by the mask",
        request=schemas.UpdateRequest,
        response=schemas.OAuthAppResponse,
    ),
    Operation(
        HTTPMethod.DELETE,
        "/{app_id}",
        delete,
        operation_id="deleteOAuthApp",
        summary="Delete an OAuth app; its client ID and tokens stop working at once",
        response=schemas.Empty,
    ),
    Operation(
        HTTPMethod.POST,
        "/{app_id}/generate-secret",
        generate_secret,
        operation_id="generateOAuthAppSecret",
        summary="Generate the secret, once, while allowSecretGeneration is true",
        response=schemas.SecretResponse,
    ),
    Operation(
        HTTPMethod.GET,
        "/{app_id}/secret",
        get_secret,
        operation_id="getOAuthAppSecret",
        summary="Always refused: secrets are stored only as hashes",
        response=schemas.SecretResponse,
    ),
    Operation(
        HTTPMethod.POST,
        "/{app_id}/rotate-secret",
        rotate_secret,
        operation_id="rotateOAuthAppSecret",
        summary="Issue a new secret; the old one works until the grace period ends",
        request=schemas.RotateSecretRequest,
        response=schemas.SecretResponse,
    ),
)

hot_routes: list[Route] = [op.route(prefix) for prefix in PREFIXES for op in OPERATIONS if op.hot]
routes: list[Route] = [op.route(prefix) for prefix in PREFIXES for op in OPERATIONS if not op.hot]
