"""The OAuth Apps API (Wix ``wix.headless.v1.OAuthAppService``), at /oauth-app/v1/oauth-apps and
/v1/oauth-apps. Every success is HTTP 200 with a JSON body, DELETE included."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.routing import Route

from ..domain.errors import FieldViolation, ValidationFailed
from ..domain.oauth_app import to_wire
from ..runtime import Runtime
from ..services import oauth_apps as service
from . import schemas
from .auth import authenticate
from .body import read_json_object
from .responses import FastJSONResponse, wire_errors

PREFIXES = ("/oauth-app/v1/oauth-apps", "/v1/oauth-apps")
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


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace ``$ref``s to the schema's own ``$defs`` with the definitions. openapi_extra cannot
    add to components/schemas, so refs pointing there would dangle for models FastAPI never saw."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                siblings = {k: resolve(v) for k, v in node.items() if k != "$ref"}
                return {**resolve(defs[ref.rsplit("/", 1)[1]]), **siblings}
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)  # type: ignore[no-any-return]


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    schema = _inline_defs(model.model_json_schema())
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _runtime(request: Request) -> Runtime:
    return request.state.app  # type: ignore[no-any-return]


async def _json(request: Request) -> dict[str, Any]:
    return await read_json_object(request, _runtime(request).settings.max_body_bytes)


def _object(body: dict[str, Any], key: str) -> Any:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise ValidationFailed([FieldViolation(key, "must be an object", "TYPE")])
    return value


async def _get(request: Request) -> FastJSONResponse:
    runtime = _runtime(request)
    actor = await authenticate(request, runtime)
    app = await service.get(runtime.db, actor, request.path_params["app_id"])
    return FastJSONResponse({"oAuthApp": to_wire(app)})


async def _query(request: Request) -> FastJSONResponse:
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


# The hot calls of this API, reading one OAuth app (a template fetches its client at start-up)
# and querying (a dashboard lists a project's apps), are served by plain Starlette routes ahead of
# FastAPI, whose routing and dependency layer cost as much again as the read itself
# (docs/benchmarks.md). The FastAPI routes below document them in the OpenAPI document and answer
# nothing these routes do not.
fast_routes = [
    route
    for prefix in PREFIXES
    for route in (
        Route(f"{prefix}/query", wire_errors(_query), methods=["POST"]),
        Route(f"{prefix}/{{app_id}}", wire_errors(_get), methods=["GET"]),
    )
]


def build_router(include_in_schema: bool) -> APIRouter:
    router = APIRouter(tags=["OAuth Apps"], responses=ERRORS, include_in_schema=include_in_schema)

    @router.post(
        "",
        response_model=schemas.CreateResponse,
        operation_id="createOAuthApp" if include_in_schema else None,
        openapi_extra=_body_doc(schemas.CreateRequest),
        summary="Create an OAuth app; the secret is returned once",
    )
    async def create(request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        body = await _json(request)
        if body.get("oAuthApp") is None:
            raise ValidationFailed([FieldViolation("oAuthApp", "is required", "REQUIRED")])
        created = await service.create(runtime.db, actor, _object(body, "oAuthApp"))
        wire = to_wire(created.app)
        if created.secret is not None:
            wire["secret"] = created.secret
        return FastJSONResponse({"oAuthApp": wire})

    @router.post(
        "/query",
        response_model=schemas.QueryResponse,
        operation_id="queryOAuthApps" if include_in_schema else None,
        openapi_extra=_body_doc(schemas.QueryRequest),
        summary="Query OAuth apps",
    )
    async def query(request: Request) -> FastJSONResponse:
        return await _query(request)

    @router.get(
        "/{app_id}",
        response_model=schemas.OAuthAppResponse,
        operation_id="getOAuthApp" if include_in_schema else None,
        summary="Get an OAuth app (never its secret)",
    )
    async def get(app_id: str, request: Request) -> FastJSONResponse:
        return await _get(request)

    @router.patch(
        "/{app_id}",
        response_model=schemas.OAuthAppResponse,
        operation_id="updateOAuthApp" if include_in_schema else None,
        openapi_extra=_body_doc(schemas.UpdateRequest),
        summary="Update the fields named by the mask",
    )
    async def update(app_id: str, request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        body = await _json(request)
        if body.get("oAuthApp") is None:
            raise ValidationFailed([FieldViolation("oAuthApp", "is required", "REQUIRED")])
        app = await service.update(runtime.db, actor, app_id, _object(body, "oAuthApp"), body.get("mask"))
        return FastJSONResponse({"oAuthApp": to_wire(app)})

    @router.delete(
        "/{app_id}",
        response_model=schemas.Empty,
        operation_id="deleteOAuthApp" if include_in_schema else None,
        summary="Delete an OAuth app; its client ID and tokens stop working at once",
    )
    async def delete(app_id: str, request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        await service.delete(runtime.db, actor, app_id)
        return FastJSONResponse({})

    @router.post(
        "/{app_id}/generate-secret",
        response_model=schemas.SecretResponse,
        operation_id="generateOAuthAppSecret" if include_in_schema else None,
        summary="Generate the secret, once, while allowSecretGeneration is true",
    )
    async def generate_secret(app_id: str, request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        await _json(request)
        secret = await service.generate_secret(runtime.db, actor, app_id)
        return FastJSONResponse({"oAuthAppSecret": secret})

    @router.get(
        "/{app_id}/secret",
        response_model=schemas.SecretResponse,
        operation_id="getOAuthAppSecret" if include_in_schema else None,
        summary="Always refused: secrets are stored only as hashes",
    )
    async def get_secret(app_id: str, request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        await service.check_secret_readable(runtime.db, actor, app_id)
        raise AssertionError("unreachable")  # check_secret_readable always raises

    @router.post(
        "/{app_id}/rotate-secret",
        response_model=schemas.SecretResponse,
        operation_id="rotateOAuthAppSecret" if include_in_schema else None,
        openapi_extra=_body_doc(schemas.RotateSecretRequest),
        summary="Issue a new secret; the old one works until the grace period ends",
    )
    async def rotate_secret(app_id: str, request: Request) -> FastJSONResponse:
        runtime = _runtime(request)
        actor = await authenticate(request, runtime)
        body = await _json(request)
        secret = await service.rotate_secret(runtime.db, actor, app_id, body.get("gracePeriodSeconds"))
        return FastJSONResponse({"oAuthAppSecret": secret})

    return router
