"""Data Items API (a compatible subset of Wix Data v2, the wire ``@wix/data`` speaks) and the
admin Collections endpoints. Plain Starlette routes with the Wix error body.

``@wix/data`` sends a query as ``GET /wix-data/v2/items/query?.r=<base64url(JSON body)>`` when
that URL fits in 2048 characters (Wix's "complex GET" mapping), and as a POST otherwise; both
are served here."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain import data_items as rules
from ..domain.data_bulk import BulkAction, BulkOutcome, error_to_wire
from ..domain.errors import FieldViolation, PayloadTooLarge, ValidationFailed
from ..domain.idempotency import HEADER, IdempotentOperation
from ..runtime import Runtime
from ..services import data as service
from ..services import idempotency
from .auth import authenticate_caller
from .body import read_json_object
from .responses import FastJSONResponse, replayed, wire_errors
from .routing import PublicRoute

ITEMS = "/wix-data/v2/items"
BULK = "/wix-data/v2/bulk/items"
COLLECTIONS = "/wix-data/v2/collections"


async def _context(request: Request) -> tuple[Runtime, Any, dict[str, Any]]:
    runtime: Runtime = request.state.app
    caller = await authenticate_caller(request, runtime)
    body = await read_json_object(request, runtime.settings.max_body_bytes) if request.method in ("POST", "PUT", "PATCH") else {}
    return runtime, caller, body


def _data_item(body: dict[str, Any]) -> dict[str, Any]:
    item = body.get("dataItem")
    if not isinstance(item, dict):
        raise ValidationFailed([FieldViolation("dataItem", "is required and must be an object", "REQUIRED")])
    return item


def _item_id(item: dict[str, Any]) -> Any:
    data = item.get("data")
    return item.get("id") or (data.get("_id") if isinstance(data, dict) else None)


def _one(item: Any, fields: tuple[str, ...] = ()) -> FastJSONResponse:
    return FastJSONResponse({"dataItem": service.item_to_wire(item, fields)})


def _complex_get_body(encoded: str, limit: int) -> dict[str, Any]:
    """The JSON object a GET carries in its ``.r`` query parameter (base64url, unpadded)."""
    if len(encoded) > limit * 4 // 3 + 4:
        raise PayloadTooLarge(f"The request is larger than {limit} bytes")
    try:
        body = orjson.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as exc:
        raise ValidationFailed([FieldViolation(".r", "must be base64url-encoded JSON", "FORMAT")]) from exc
    if not isinstance(body, dict):
        raise ValidationFailed([FieldViolation(".r", "must encode a JSON object", "TYPE")])
    return body


@wire_errors
async def insert_item(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    item = _data_item(body)
    guard = idempotency.guard(request.headers.get(HEADER), IdempotentOperation.INSERT_DATA_ITEM, caller.principal, body)
    inserted = await service.insert(runtime.db, caller, body.get("dataCollectionId"), _item_id(item), item.get("data"), guard)
    if isinstance(inserted, idempotency.Replayed):
        return replayed({"dataItem": inserted.wire})
    return _one(inserted)


async def _get(request: Request, item_id: str) -> Response:
    runtime, caller, _ = await _context(request)
    collection = request.query_params.get("dataCollectionId")
    fields = rules.parse_fields(request.query_params.getlist("fields") or None, "fields")
    return _one(await service.get(runtime.db, caller, collection, item_id), fields)


@wire_errors
async def get_item(request: Request) -> Response:
    return await _get(request, request.path_params["item_id"])


@wire_errors
async def update_item(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    item = _data_item(body)
    item_id = request.path_params.get("item_id") or _item_id(item)
    return _one(await service.update(runtime.db, caller, body.get("dataCollectionId"), item_id, item.get("data")))


@wire_errors
async def save_item(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    item = _data_item(body)
    saved, inserted = await service.save(runtime.db, caller, body.get("dataCollectionId"), _item_id(item), item.get("data"))
    action = "INSERTED" if inserted else "UPDATED"
    return FastJSONResponse({"action": action, "dataItem": service.item_to_wire(saved)})


@wire_errors
async def patch_item(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    patch = body.get("patch")
    if not isinstance(patch, dict):
        raise ValidationFailed([FieldViolation("patch", "is required and must be {dataItemId, fieldModifications}", "REQUIRED")])
    patched = await service.patch(
        runtime.db, caller, body.get("dataCollectionId"), patch.get("dataItemId"), patch.get("fieldModifications")
    )
    return _one(patched)


@wire_errors
async def truncate_items(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    await service.truncate(runtime.db, caller, body.get("dataCollectionId"))
    return FastJSONResponse({})


def _bulk_answer(outcomes: list[BulkOutcome], return_entity: Any) -> FastJSONResponse:
    """``{results: [{action, itemMetadata: {id, originalIndex, success, error}, dataItem}],
    bulkActionMetadata: {totalSuccesses, totalFailures}}``, as Wix Data answers a bulk write."""
    results = []
    for outcome in outcomes:
        metadata: dict[str, Any] = {"originalIndex": outcome.index, "success": outcome.error is None}
        if outcome.item_id is not None:
            metadata["id"] = outcome.item_id
        if outcome.error is not None:
            metadata["error"] = error_to_wire(outcome.error)
        result: dict[str, Any] = {"action": outcome.action, "itemMetadata": metadata}
        if return_entity is True and outcome.item is not None:
            result["dataItem"] = service.item_to_wire(outcome.item)
        results.append(result)
    failures = sum(1 for o in outcomes if o.error is not None)
    summary = {"totalSuccesses": len(outcomes) - failures, "totalFailures": failures}
    return FastJSONResponse({"results": results, "bulkActionMetadata": summary})


@wire_errors
async def bulk_insert(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    outcomes = await service.bulk_write(runtime.db, caller, body.get("dataCollectionId"), body.get("dataItems"), BulkAction.INSERT)
    return _bulk_answer(outcomes, body.get("returnEntity"))


@wire_errors
async def bulk_update(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    outcomes = await service.bulk_write(runtime.db, caller, body.get("dataCollectionId"), body.get("dataItems"), BulkAction.UPDATE)
    return _bulk_answer(outcomes, body.get("returnEntity"))


@wire_errors
async def bulk_save(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    outcomes = await service.bulk_write(runtime.db, caller, body.get("dataCollectionId"), body.get("dataItems"), None)
    return _bulk_answer(outcomes, body.get("returnEntity"))


@wire_errors
async def bulk_remove(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    outcomes = await service.bulk_remove(runtime.db, caller, body.get("dataCollectionId"), body.get("dataItemIds"))
    return _bulk_answer(outcomes, False)


@wire_errors
async def bulk_patch(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    outcomes = await service.bulk_patch(runtime.db, caller, body.get("dataCollectionId"), body.get("patches"))
    return _bulk_answer(outcomes, body.get("returnEntity"))


@wire_errors
async def remove_item(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    collection = body.get("dataCollectionId") or request.query_params.get("dataCollectionId")
    item_id = request.path_params.get("item_id") or body.get("dataItemId")
    return _one(await service.remove(runtime.db, caller, collection, item_id))


async def _query(runtime: Runtime, caller: Any, body: dict[str, Any]) -> Response:
    collection = body.get("dataCollectionId")
    items, total, parsed = await service.query(runtime.db, caller, collection, body.get("query"))
    q = parsed.query
    has_next = q.offset + len(items) < total
    paging: dict[str, Any] = {"count": len(items)}
    if parsed.cursor_mode:
        paging.update({"cursors": rules.next_cursors(parsed, str(collection), len(items), total), "hasNext": has_next})
    else:
        paging.update({"offset": q.offset, "total": total, "tooManyToCount": False, "hasNext": has_next})
    return FastJSONResponse(
        {
            "dataItems": [service.item_to_wire(i, parsed.fields) for i in items],
            "pagingMetadata": paging,
        }
    )


@wire_errors
async def query_items(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    return await _query(runtime, caller, body)


@wire_errors
async def query_items_get(request: Request) -> Response:
    """``GET .../items/query?.r=...``; without ``.r`` this is a plain get of the item "query"."""
    encoded = request.query_params.get(".r")
    if encoded is None:
        return await _get(request, "query")
    runtime, caller, _ = await _context(request)
    return await _query(runtime, caller, _complex_get_body(encoded, runtime.settings.max_body_bytes))


@wire_errors
async def count_items(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    total = await service.count(runtime.db, caller, body.get("dataCollectionId"), body.get("filter"))
    return FastJSONResponse({"totalCount": total})


def _offset_paging(offset: int, count: int, total: int) -> dict[str, Any]:
    return {"count": count, "offset": offset, "total": total, "tooManyToCount": False, "hasNext": offset + count < total}


@wire_errors
async def distinct_values(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    values, total, offset = await service.distinct(runtime.db, caller, body.get("dataCollectionId"), body)
    return FastJSONResponse({"distinctValues": values, "pagingMetadata": _offset_paging(offset, len(values), total)})


@wire_errors
async def aggregate_items(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    results, total, offset = await service.aggregate(runtime.db, caller, body.get("dataCollectionId"), body)
    return FastJSONResponse({"results": results, "pagingMetadata": _offset_paging(offset, len(results), total)})


@wire_errors
async def create_collection(request: Request) -> Response:
    runtime, caller, body = await _context(request)
    collection = body.get("collection")
    if not isinstance(collection, dict):
        raise ValidationFailed([FieldViolation("collection", "is required and must be an object", "REQUIRED")])
    created = await service.create_collection(runtime.db, caller, collection.get("id"), collection.get("permissions"))
    return FastJSONResponse({"collection": service.collection_to_wire(created)})


@wire_errors
async def list_collections(request: Request) -> Response:
    runtime, caller, _ = await _context(request)
    found = await service.list_collections(runtime.db, caller)
    return FastJSONResponse({"collections": [service.collection_to_wire(c) for c in found]})


@wire_errors
async def delete_collection(request: Request) -> Response:
    runtime, caller, _ = await _context(request)
    await service.delete_collection(runtime.db, caller, request.path_params["collection_id"])
    return FastJSONResponse({})


# Data items are read and written from the browser with visitor and member tokens, each call
# authorised by the token it carries; collections stay admin-only (no CORS).
routes = [
    PublicRoute(ITEMS, insert_item, methods=["POST"]),
    PublicRoute(f"{ITEMS}/query", query_items, methods=["POST"]),
    PublicRoute(f"{ITEMS}/query", query_items_get, methods=["GET"]),
    PublicRoute(f"{ITEMS}/count", count_items, methods=["POST"]),
    PublicRoute(f"{ITEMS}/query-distinct-values", distinct_values, methods=["POST"]),
    PublicRoute(f"{ITEMS}/aggregate", aggregate_items, methods=["POST"]),
    PublicRoute(f"{ITEMS}/update", update_item, methods=["POST"]),
    PublicRoute(f"{ITEMS}/remove", remove_item, methods=["POST"]),
    PublicRoute(f"{ITEMS}/save", save_item, methods=["POST"]),
    PublicRoute(f"{ITEMS}/patch", patch_item, methods=["POST"]),
    PublicRoute(f"{ITEMS}/truncate", truncate_items, methods=["POST"]),
    PublicRoute(f"{BULK}/insert", bulk_insert, methods=["POST"]),
    PublicRoute(f"{BULK}/update", bulk_update, methods=["POST"]),
    PublicRoute(f"{BULK}/save", bulk_save, methods=["POST"]),
    PublicRoute(f"{BULK}/remove", bulk_remove, methods=["POST"]),
    PublicRoute(f"{BULK}/patch", bulk_patch, methods=["POST"]),
    PublicRoute(f"{ITEMS}/{{item_id}}", get_item, methods=["GET"]),
    PublicRoute(f"{ITEMS}/{{item_id}}", update_item, methods=["PUT"]),
    PublicRoute(f"{ITEMS}/{{item_id}}", remove_item, methods=["DELETE"]),
    Route(COLLECTIONS, create_collection, methods=["POST"]),
    Route(COLLECTIONS, list_collections, methods=["GET"]),
    Route(f"{COLLECTIONS}/{{collection_id}}", delete_collection, methods=["DELETE"]),
]
