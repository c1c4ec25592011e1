"""Reading request bodies with a size cap, so a huge body costs us at most the cap."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from ..domain.errors import DomainError, FieldViolation, PayloadTooLarge, ValidationFailed


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    raw = await read_body(request, limit)
    if not raw.strip():
        return {}
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DomainError(f"The request body is not valid JSON: {exc.msg}", code="MALFORMED_JSON") from exc
    if not isinstance(data, dict):
        raise ValidationFailed([FieldViolation("$", "The request body must be a JSON object", "TYPE")])
    return data
