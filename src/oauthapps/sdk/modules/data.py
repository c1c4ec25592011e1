"""Data items (a subset of Wix Data v2): insert, get, update, remove and query items of a
collection. As in the JS ``@wix/data`` items API, calls take and return the item's *data*
(``_id``, ``_owner``, ``_createdDate``, ``_updatedDate`` included), and dates travel as
``{"$date": ISO}`` on the wire but are ``datetime`` objects here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ..dual_mode import operation
from ..http_calls import call
from ..operations import M, Op
from .base import Module, ModuleSpec
from .query import QueryBuilder, QueryTarget

ITEMS = "/wix-data/v2/items"
DataItem = dict[str, Any]


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

    def query(self, collection: str) -> QueryBuilder[M, DataItem]:
        """Operators: eq, ne, gt, ge, lt, le, starts_with, has_some, exists, and_, or_."""
        target = QueryTarget(f"{ITEMS}/query", "dataItems", _item_data, body={"dataCollectionId": collection}, encode=encode)
        return QueryBuilder(self.context, target)


data = ModuleSpec("data", DataModule)
