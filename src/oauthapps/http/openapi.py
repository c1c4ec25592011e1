"""The OpenAPI entries of an API's operations, made from the same ``Operation`` declarations that
serve it (routing.py).

Each operation is registered in the FastAPI app as a stub that carries its documentation, under
every prefix (only the first is documented). The plain routes made from the same declarations
sit ahead of the FastAPI mount and answer every declared method and path, so a stub runs only if
its plain route was left out, and then answers as that route would. Registered, the stubs also
keep FastAPI's answers around the operations: 405 for an undeclared method on a declared path,
the redirect of a trailing slash.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from ..domain import idempotency
from .responses import wire_errors
from .routing import Operation


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


def _body_doc(model: type[BaseModel] | None) -> dict[str, Any] | None:
    """The documented request body. Handlers read and check their own bodies (with the wire
    format's field paths), so the model is shown to readers and never used to parse."""
    if model is None:
        return None
    schema = _inline_defs(model.model_json_schema())
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


IDEMPOTENCY_KEY_DOC = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_LENGTH},
    "description": "Makes a retry safe: a retry with the same key and body gets the first answer again "
    f"(header Idempotent-Replayed: true) instead of a second write; the same key with another body is refused "
    f"(422 IDEMPOTENCY_KEY_REUSED). Keys are kept per caller for {idempotency.LIFETIME.days * 24} h.",
}


def _extra_doc(operation: Operation) -> dict[str, Any] | None:
    doc = _body_doc(operation.request) or {}
    parameters = [*operation.parameters, *([IDEMPOTENCY_KEY_DOC] if operation.idempotent else [])]
    if parameters:
        doc["parameters"] = parameters
    return doc or None


def _stub(operation: Operation) -> Callable[..., Awaitable[Response]]:
    # FastAPI documents the parameters of the endpoint's signature: the path parameters as
    # strings, and the request itself (which it passes along and does not document). No
    # docstring: FastAPI would publish it as the operation's description.
    endpoint = wire_errors(operation.endpoint)

    async def stub(request: Request, **_path_params: str) -> Response:
        return await endpoint(request)

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [inspect.Parameter(name, keyword, annotation=str) for name in operation.path_params]
    stub.__signature__ = inspect.Signature([*params, inspect.Parameter("request", keyword, annotation=Request)])  # type: ignore[attr-defined]
    stub.__name__ = stub.__qualname__ = operation.operation_id
    return stub


def document(
    api: FastAPI,
    operations: Sequence[Operation],
    prefixes: Sequence[str],
    *,
    tag: str,
    errors: dict[int | str, dict[str, Any]],
) -> None:
    """Register ``operations`` under each of ``prefixes``; only the first prefix is documented."""
    for index, prefix in enumerate(prefixes):
        router = APIRouter(tags=[tag], responses=errors, include_in_schema=index == 0)
        for operation in operations:
            router.add_api_route(
                operation.path,
                _stub(operation),
                methods=[operation.method],
                response_model=operation.response,
                operation_id=operation.operation_id,
                summary=operation.summary,
                openapi_extra=_extra_doc(operation),
            )
        api.include_router(router, prefix=prefix)
