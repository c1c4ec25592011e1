"""Data items (a subset of Wix Data v2): insert, get, update, remove and query items of a
collection. As in the JS ``@wix/data`` items API, calls take and return the item's *data*
(``_id``, ``_owner``, ``_createdDate``, ``_updatedDate`` included), and dates travel as
``{"$date": ISO}`` on the wire but are ``datetime`` objects here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..dual_mode import operation
from ..http_calls import call
from ..operations import M, Op
from .base import Module, ModuleSpec
from .query import QueryBuilder, QueryTarget

ITEMS = "/wix-data/v2/items"
BULK = "/wix-data/v2/bulk/items"
DataItem = dict[str, Any]


def _entries(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": item["_id"], "data": encode(item)} if item.get("_id") else {"data": encode(item)} for item in items]


@dataclass(frozen=True)
class BulkResult:
    """What a bulk write did, item by item, as ``@wix/data`` counts it: ``errors`` are
    ``(index, code, description)`` of the entries that failed."""

    inserted: list[str]
    updated: list[str]
    removed: list[str]
    errors: list[tuple[int, str, str]]

    @classmethod
    def from_wire(cls, answer: dict[str, Any]) -> BulkResult:
        done: dict[str, list[str]] = {"INSERT": [], "UPDATE": [], "PATCH": [], "DELETE": []}
        errors: list[tuple[int, str, str]] = []
        for result in answer.get("results", []):
            meta = result.get("itemMetadata", {})
            if meta.get("success"):
                done.setdefault(result.get("action", ""), []).append(str(meta.get("id")))
            else:
                error = meta.get("error", {})
                errors.append((int(meta.get("originalIndex", -1)), str(error.get("code")), str(error.get("description"))))
        return cls(done["INSERT"], done["UPDATE"] + done["PATCH"], done["DELETE"], errors)


def set_field(path: str, value: Any) -> dict[str, Any]:
    return {"action": "SET_FIELD", "fieldPath": path, "setFieldOptions": {"value": encode(value)}}


def remove_field(path: str) -> dict[str, Any]:
    return {"action": "REMOVE_FIELD", "fieldPath": path}


def increment_field(path: str, by: float) -> dict[str, Any]:
    return {"action": "INCREMENT_FIELD", "fieldPath": path, "incrementFieldOptions": {"value": by}}


def append_to_array(path: str, value: Any) -> dict[str, Any]:
    return {"action": "APPEND_TO_ARRAY", "fieldPath": path, "appendToArrayOptions": {"value": encode(value)}}


def remove_from_array(path: str, value: Any) -> dict[str, Any]:
    return {"action": "REMOVE_FROM_ARRAY", "fieldPath": path, "removeFromArrayOptions": {"value": encode(value)}}


def count(name: str = "count") -> dict[str, Any]:
    """An aggregation operation: the number of items in each group."""
    return {"resultFieldName": name, "itemCount": {}}


def total(field: str, name: str | None = None) -> dict[str, Any]:
    return {"resultFieldName": name or f"{field}Sum", "sum": {"itemFieldName": field}}


def average(field: str, name: str | None = None) -> dict[str, Any]:
    return {"resultFieldName": name or f"{field}Avg", "average": {"itemFieldName": field}}


def minimum(field: str, name: str | None = None) -> dict[str, Any]:
    return {"resultFieldName": name or f"{field}Min", "min": {"itemFieldName": field}}


def maximum(field: str, name: str | None = None) -> dict[str, Any]:
    return {"resultFieldName": name or f"{field}Max", "max": {"itemFieldName": field}}


def encode(value: Any) -> Any:
    """Python values to wire JSON: ``datetime`` becomes ``{"$date": ...}`` (naive means UTC)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$date": moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if isinstance(value, Mapping):
        return {key: encode(inner) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(inner) for inner in value]
    return value


def decode(value: Any) -> Any:
    """Wire JSON to Python values: the inverse of :func:`encode`."""
    if isinstance(value, dict):
        if set(value) == {"$date"} and isinstance(value["$date"], str):
            try:
                return datetime.fromisoformat(value["$date"])
            except ValueError:
                return value
        return {key: decode(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [decode(inner) for inner in value]
    return value


def _item_data(raw: dict[str, Any]) -> DataItem:
    data = raw.get("data")
    return decode(data) if isinstance(data, dict) else {}


def _one(answer: dict[str, Any]) -> DataItem:
    return _item_data(answer.get("dataItem") or {})


class DataModule(Module[M]):
    """Items in the project's collections, under each collection's permissions for the caller
    (visitor, member, or admin)."""

    @operation
    def insert(self, collection: str, data: Mapping[str, Any], id: str | None = None) -> Op[DataItem]:
        """Add an item; its id is ``id``, else ``data["_id"]``, else one the server picks."""
        item: dict[str, Any] = {"data": encode(data)}
        item_id = id or data.get("_id")
        if item_id:
            item["id"] = item_id
        return _one((yield from call(self.context, "POST", ITEMS, json={"dataCollectionId": collection, "dataItem": item})))

    @operation
    def get(self, collection: str, item_id: str) -> Op[DataItem]:
        """Raises :class:`NotFoundError` (``WDE0073``) if there is no such item."""
        path = f"{ITEMS}/{quote(item_id, safe='')}"
        return _one((yield from call(self.context, "GET", path, params={"dataCollectionId": collection})))

    @operation
    def update(self, collection: str, data: Mapping[str, Any], id: str | None = None) -> Op[DataItem]:
        """Replace the item's data as a whole (fields left out are removed), as Wix Data does."""
        item_id = id or data.get("_id")
        if not item_id:
            raise ValueError("update needs the item id: pass id= or include _id in data")
        body = {"dataCollectionId": collection, "dataItem": {"id": item_id, "data": encode(data)}}
        return _one((yield from call(self.context, "POST", f"{ITEMS}/update", json=body)))

    @operation
    def remove(self, collection: str, item_id: str) -> Op[DataItem]:
        """Delete the item; returns what it held."""
        body = {"dataCollectionId": collection, "dataItemId": item_id}
        return _one((yield from call(self.context, "POST", f"{ITEMS}/remove", json=body)))

    @operation
    def save(self, collection: str, data: Mapping[str, Any], id: str | None = None) -> Op[DataItem]:
        """Insert the item, or replace the one with its id."""
        item: dict[str, Any] = {"data": encode(data)}
        item_id = id or data.get("_id")
        if item_id:
            item["id"] = item_id
        return _one((yield from call(self.context, "POST", f"{ITEMS}/save", json={"dataCollectionId": collection, "dataItem": item})))

    @operation
    def patch(self, collection: str, item_id: str, *modifications: dict[str, Any]) -> Op[DataItem]:
        """Apply field modifications (:func:`set_field`, :func:`increment_field`, ...) in order."""
        body = {"dataCollectionId": collection, "patch": {"dataItemId": item_id, "fieldModifications": list(modifications)}}
        return _one((yield from call(self.context, "POST", f"{ITEMS}/patch", json=body)))

    @operation
    def truncate(self, collection: str) -> Op[None]:
        """Remove every item of the collection (admins only)."""
        yield from call(self.context, "POST", f"{ITEMS}/truncate", json={"dataCollectionId": collection})
        return None

    def _bulk(self, path: str, collection: str, key: str, entries: list[Any]) -> Op[BulkResult]:
        answer = yield from call(self.context, "POST", f"{BULK}/{path}", json={"dataCollectionId": collection, key: entries})
        return BulkResult.from_wire(answer)

    @operation
    def bulk_insert(self, collection: str, items: Sequence[Mapping[str, Any]]) -> Op[BulkResult]:
        return (yield from self._bulk("insert", collection, "dataItems", _entries(items)))

    @operation
    def bulk_update(self, collection: str, items: Sequence[Mapping[str, Any]]) -> Op[BulkResult]:
        return (yield from self._bulk("update", collection, "dataItems", _entries(items)))

    @operation
    def bulk_save(self, collection: str, items: Sequence[Mapping[str, Any]]) -> Op[BulkResult]:
        return (yield from self._bulk("save", collection, "dataItems", _entries(items)))

    @operation
    def bulk_remove(self, collection: str, item_ids: Sequence[str]) -> Op[BulkResult]:
        return (yield from self._bulk("remove", collection, "dataItemIds", list(item_ids)))

    @operation
    def distinct(self, collection: str, field: str, filter: Mapping[str, Any] | None = None, descending: bool = False) -> Op[list[Any]]:
        """The different values of ``field`` among the items matching ``filter`` (first page of 100)."""
        body = {"dataCollectionId": collection, "fieldName": field, "filter": encode(filter) if filter else None}
        body |= {"order": "DESC" if descending else "ASC", "paging": {"limit": 100}}
        answer = yield from call(self.context, "POST", f"{ITEMS}/query-distinct-values", json=body)
        return [decode(v) for v in answer.get("distinctValues", [])]

    @operation
    def aggregate(
        self,
        collection: str,
        group_by: Sequence[str] = (),
        operations: Sequence[dict[str, Any]] = (),
        filter: Mapping[str, Any] | None = None,
        having: Mapping[str, Any] | None = None,
    ) -> Op[list[dict[str, Any]]]:
        """Groups with their results (:func:`count`, :func:`total`, :func:`average`, ...); the
        first page of 100."""
        body = {
            "dataCollectionId": collection,
            "initialFilter": encode(filter) if filter else None,
            "aggregation": {"groupingFields": list(group_by), "operations": list(operations)},
            "finalFilter": encode(having) if having else None,
            "paging": {"limit": 100},
        }
        answer = yield from call(self.context, "POST", f"{ITEMS}/aggregate", json=body)
        return [decode(r) for r in answer.get("results", [])]

    def query(self, collection: str) -> QueryBuilder[M, DataItem]:
        """Operators: eq, ne, gt, ge, lt, le, starts_with, has_some, exists, and_, or_."""
        target = QueryTarget(f"{ITEMS}/query", "dataItems", _item_data, body={"dataCollectionId": collection}, encode=encode)
        return QueryBuilder(self.context, target)


data = ModuleSpec("data", DataModule)
