"""Project data use cases: collections (admin only) and items under per-operation permissions.

Who may do what is decided by ``domain.data_items.access`` from the collection's policy and the
caller's role; "own" access narrows reads to the caller's items and writes to items they own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from ..domain import data_aggregate as aggregates
from ..domain import data_items as rules
from ..domain import data_patch as patching
from ..domain.data_bulk import BulkAction, BulkOutcome, bulk_list
from ..domain.errors import Conflict, DomainError, FieldViolation, NotFound, PermissionDenied, ValidationFailed
from ..domain.oauth_app import iso
from ..domain.roles import CallerRole
from ..store import data as repo
from ..store.data import Item
from ..store.database import Database
from . import idempotency
from .callers import Caller

COLLECTION_NOT_FOUND = "WDE0025"
ITEM_NOT_FOUND = "WDE0073"
ITEM_EXISTS = "WDE0074"
NOT_PERMITTED = "WDE0027"


def _require_admin(caller: Caller) -> None:
    if caller.role != CallerRole.ADMIN:
        raise PermissionDenied("Managing collections needs an admin token or an API key", code=NOT_PERMITTED)


def item_to_wire(item: Item, fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """``fields`` is a projection (``_id`` always stays); empty means the whole item."""
    data = {
        **item.data,
        "_id": item.id,
        "_owner": item.owner_id,
        "_createdDate": {"$date": iso(item.created_at)},
        "_updatedDate": {"$date": iso(item.updated_at)},
    }
    return {"id": item.id, "dataCollectionId": item.collection_id, "data": rules.project(data, fields)}


def collection_to_wire(collection: rules.Collection) -> dict[str, Any]:
    return {"id": collection.id, "displayName": collection.title, "permissions": dict(collection.permissions)}


async def create_collection(
    db: Database, caller: Caller, collection_id: Any, permissions: Any, display_name: Any = None
) -> rules.Collection:
    _require_admin(caller)
    cid = rules.validate_collection_id(collection_id, "collection.id")
    perms = rules.validate_permissions(permissions)
    name = rules.validate_display_name(display_name)
    async with db.transaction() as conn:
        if not await repo.create_collection(conn, caller.project_id, cid, perms, clock.now_to_the_millisecond(), name):
            raise Conflict(f"Collection {cid} already exists", code="WDE0074")
    return rules.Collection(caller.project_id, cid, perms, name)


async def get_collection(db: Database, caller: Caller, collection_id: Any) -> rules.Collection:
    _require_admin(caller)
    async with db.read() as conn:
        return await _collection(conn, caller, collection_id)


async def update_collection(
    db: Database, caller: Caller, collection_id: Any, permissions: Any, display_name: Any = None
) -> rules.Collection:
    """Replace a collection's permissions (operations not given fall back to the defaults) and display name."""
    _require_admin(caller)
    cid = rules.validate_collection_id(collection_id)
    perms = rules.validate_permissions(permissions)
    name = rules.validate_display_name(display_name)
    async with db.transaction() as conn:
        if not await repo.update_collection(conn, caller.project_id, cid, perms, name):
            raise NotFound(f"Collection {cid} does not exist", code=COLLECTION_NOT_FOUND)
    return rules.Collection(caller.project_id, cid, perms, name)


async def list_collections(db: Database, caller: Caller) -> list[rules.Collection]:
    _require_admin(caller)
    async with db.read() as conn:
        return await repo.list_collections(conn, caller.project_id)


async def delete_collection(db: Database, caller: Caller, collection_id: str) -> None:
    _require_admin(caller)
    async with db.transaction() as conn:
        if not await repo.delete_collection(conn, caller.project_id, collection_id):
            raise NotFound(f"Collection {collection_id} does not exist", code=COLLECTION_NOT_FOUND)


async def _collection(conn: Any, caller: Caller, collection_id: Any) -> rules.Collection:
    cid = rules.validate_collection_id(collection_id)
    found = await repo.get_collection(conn, caller.project_id, cid)
    if found is None:
        raise NotFound(f"Collection {cid} does not exist", code=COLLECTION_NOT_FOUND)
    return found


def _access(collection: rules.Collection, caller: Caller, operation: str) -> rules.Access:
    granted = rules.access(collection.permissions[operation], caller.role)
    if granted == "none":
        raise PermissionDenied(
            f"{operation} on {collection.id} needs {collection.permissions[operation]}; this caller is a {caller.role}",
            code=NOT_PERMITTED,
        )
    return granted


def _item_not_found(collection_id: str, item_id: str) -> NotFound:
    return NotFound(f"Item {item_id} not found in {collection_id}", code=ITEM_NOT_FOUND)


async def _insert_in(
    conn: AsyncConnection, caller: Caller, collection: rules.Collection, iid: str, values: dict[str, Any], at: Any
) -> Item:
    item = Item(collection.id, iid, values, caller.subject_id, at, at)
    if not await repo.insert_item(conn, caller.project_id, item):
        raise Conflict(f"Item {iid} already exists in {collection.id}", code=ITEM_EXISTS)
    return item


async def insert(
    db: Database, caller: Caller, collection_id: Any, item_id: Any, data: Any, guard: idempotency.Guard | None = None
) -> Item | idempotency.Replayed:
    """With ``guard`` (an Idempotency-Key), a retry gets the first request's item back
    (Replayed) instead of a second item."""
    values = rules.validate_item_data(data)
    iid = rules.validate_item_id(item_id, "dataItem.id") if item_id is not None else ids.random_uuid_hex()
    at = clock.now_to_the_millisecond()

    async def write(conn: AsyncConnection) -> Item:
        collection = await _collection(conn, caller, collection_id)
        _access(collection, caller, "insert")
        return await _insert_in(conn, caller, collection, iid, values, at)

    return await idempotency.once(db, caller.project_id, guard, write, item_to_wire)


async def get(db: Database, caller: Caller, collection_id: Any, item_id: str) -> Item:
    async with db.read() as conn:
        collection = await _collection(conn, caller, collection_id)
        granted = _access(collection, caller, "read")
        item = await repo.get_item(conn, caller.project_id, collection.id, item_id)
    if item is None or (granted == "own" and item.owner_id != caller.subject_id):
        raise _item_not_found(collection.id, item_id)
    return item


async def _write_target(conn: Any, caller: Caller, collection: rules.Collection, item_id: str, operation: str) -> str | None:
    """The owner filter for a write, after telling 'not yours' (403) from 'not there' (404)."""
    granted = _access(collection, caller, operation)
    if granted == "all":
        return None
    item = await repo.get_item(conn, caller.project_id, collection.id, item_id)
    if item is None:
        raise _item_not_found(collection.id, item_id)
    if item.owner_id != caller.subject_id:
        if rules.access(collection.permissions["read"], caller.role) == "all":
            raise PermissionDenied(f"Only the author may {operation} this item", code=NOT_PERMITTED)
        raise _item_not_found(collection.id, item_id)
    return caller.subject_id


async def _update_in(
    conn: AsyncConnection, caller: Caller, collection: rules.Collection, iid: str, values: dict[str, Any], at: Any
) -> Item:
    owner = await _write_target(conn, caller, collection, iid, "update")
    item = await repo.replace_item(conn, caller.project_id, collection.id, iid, values, at, owner)
    if item is None:
        raise _item_not_found(collection.id, iid)
    return item


async def _remove_in(conn: AsyncConnection, caller: Caller, collection: rules.Collection, iid: str) -> Item:
    owner = await _write_target(conn, caller, collection, iid, "remove")
    item = await repo.remove_item(conn, caller.project_id, collection.id, iid, owner)
    if item is None:
        raise _item_not_found(collection.id, iid)
    return item


async def _save_in(
    conn: AsyncConnection, caller: Caller, collection: rules.Collection, iid: str, values: dict[str, Any], at: Any
) -> tuple[Item, bool]:
    """Insert the item, or replace it when one with its id exists; True when it was inserted."""
    if await repo.get_item(conn, caller.project_id, collection.id, iid, lock=True) is None:
        _access(collection, caller, "insert")
        return await _insert_in(conn, caller, collection, iid, values, at), True
    return await _update_in(conn, caller, collection, iid, values, at), False


async def _patch_in(
    conn: AsyncConnection, caller: Caller, collection: rules.Collection, iid: str, mods: tuple[patching.FieldModification, ...], at: Any
) -> Item:
    owner = await _write_target(conn, caller, collection, iid, "update")
    current = await repo.get_item(conn, caller.project_id, collection.id, iid, lock=True)
    if current is None or (owner is not None and current.owner_id != owner):
        raise _item_not_found(collection.id, iid)
    patched = patching.apply_modifications(current.data, mods, "patch.fieldModifications")
    values = rules.validate_item_data(patched, "patch.fieldModifications")
    item = await repo.replace_item(conn, caller.project_id, collection.id, iid, values, at, owner)
    if item is None:
        raise _item_not_found(collection.id, iid)
    return item


async def update(db: Database, caller: Caller, collection_id: Any, item_id: Any, data: Any) -> Item:
    iid = rules.validate_item_id(item_id, "dataItem.id")
    values = rules.validate_item_data(data)
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        return await _update_in(conn, caller, collection, iid, values, clock.now_to_the_millisecond())


async def remove(db: Database, caller: Caller, collection_id: Any, item_id: Any) -> Item:
    iid = rules.validate_item_id(item_id, "dataItemId")
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        return await _remove_in(conn, caller, collection, iid)


async def save(db: Database, caller: Caller, collection_id: Any, item_id: Any, data: Any) -> tuple[Item, bool]:
    """Insert or replace (``items.save``); True when the item was inserted."""
    values = rules.validate_item_data(data)
    iid = rules.validate_item_id(item_id, "dataItem.id") if item_id is not None else ids.random_uuid_hex()
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        _access(collection, caller, "insert")
        return await _save_in(conn, caller, collection, iid, values, clock.now_to_the_millisecond())


def _field_name_ok(name: str) -> bool:
    return bool(rules.FIELD_NAME_RE.match(name))


async def patch(db: Database, caller: Caller, collection_id: Any, item_id: Any, modifications: Any) -> Item:
    """Apply field modifications (set, remove, increment, append to / remove from an array)."""
    iid = rules.validate_item_id(item_id, "patch.dataItemId")
    mods = patching.parse_modifications(modifications, "patch.fieldModifications", _field_name_ok, rules.SYSTEM_FIELDS)
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        return await _patch_in(conn, caller, collection, iid, mods, clock.now_to_the_millisecond())


async def truncate(db: Database, caller: Caller, collection_id: Any) -> int:
    """Remove every item of a collection (admins only); how many there were."""
    _require_admin(caller)
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        return await repo.truncate_items(conn, caller.project_id, collection.id)


# --- bulk writes: each item in a savepoint of its own, so one bad item fails only itself -------


async def _each(
    conn: AsyncConnection, index: int, action: BulkAction, item_id: str | None, write: Callable[[], Awaitable[tuple[Item, BulkAction]]]
) -> BulkOutcome:
    try:
        async with conn.begin_nested():
            item, done = await write()
    except DomainError as error:
        return BulkOutcome(index, action, item_id, error=error)
    return BulkOutcome(index, done, item.id, item=item)


def _bulk_entry(entry: Any, path: str) -> tuple[str | None, dict[str, Any]]:
    """The id and data of one ``{id, data}`` entry of a bulk request."""
    if not isinstance(entry, dict):
        raise ValidationFailed([FieldViolation(path, "must be {id, data}", "TYPE")])
    data = entry.get("data")
    raw_id = entry.get("id") or (data.get("_id") if isinstance(data, dict) else None)
    iid = rules.validate_item_id(raw_id, f"{path}.id") if raw_id is not None else None
    return iid, rules.validate_item_data(data, f"{path}.data")


async def bulk_write(db: Database, caller: Caller, collection_id: Any, entries: Any, mode: BulkAction | None) -> list[BulkOutcome]:
    """``bulkInsert`` (INSERT), ``bulkUpdate`` (UPDATE) or ``bulkSave`` (None: insert or replace)
    of ``[{id, data}]``; one outcome per entry, in request order."""
    listed = bulk_list(entries, "dataItems")
    at = clock.now_to_the_millisecond()
    outcomes: list[BulkOutcome] = []
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        _access(collection, caller, "update" if mode == BulkAction.UPDATE else "insert")
        for index, entry in enumerate(listed):
            action = mode or BulkAction.INSERT
            try:
                iid, values = _bulk_entry(entry, f"dataItems[{index}]")
            except DomainError as error:
                outcomes.append(BulkOutcome(index, action, None, error=error))
                continue
            if mode == BulkAction.UPDATE and iid is None:
                missing = ValidationFailed([FieldViolation(f"dataItems[{index}].id", "is required to update an item", "REQUIRED")])
                outcomes.append(BulkOutcome(index, action, None, error=missing))
                continue
            target = iid or ids.random_uuid_hex()

            async def write(target: str = target, values: dict[str, Any] = values) -> tuple[Item, BulkAction]:
                if mode == BulkAction.INSERT:
                    return await _insert_in(conn, caller, collection, target, values, at), BulkAction.INSERT
                if mode == BulkAction.UPDATE:
                    return await _update_in(conn, caller, collection, target, values, at), BulkAction.UPDATE
                item, inserted = await _save_in(conn, caller, collection, target, values, at)
                return item, BulkAction.INSERT if inserted else BulkAction.UPDATE

            outcomes.append(await _each(conn, index, action, target, write))
    return outcomes


async def bulk_remove(db: Database, caller: Caller, collection_id: Any, item_ids: Any) -> list[BulkOutcome]:
    listed = bulk_list(item_ids, "dataItemIds")
    outcomes: list[BulkOutcome] = []
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        _access(collection, caller, "remove")
        for index, raw in enumerate(listed):
            try:
                iid = rules.validate_item_id(raw, f"dataItemIds[{index}]")
            except DomainError as error:
                outcomes.append(BulkOutcome(index, BulkAction.DELETE, None, error=error))
                continue

            async def write(iid: str = iid) -> tuple[Item, BulkAction]:
                return await _remove_in(conn, caller, collection, iid), BulkAction.DELETE

            outcomes.append(await _each(conn, index, BulkAction.DELETE, iid, write))
    return outcomes


async def bulk_patch(db: Database, caller: Caller, collection_id: Any, patches: Any) -> list[BulkOutcome]:
    """``bulkPatch``: ``[{dataItemId, fieldModifications}]``."""
    listed = bulk_list(patches, "patches")
    at = clock.now_to_the_millisecond()
    outcomes: list[BulkOutcome] = []
    async with db.transaction() as conn:
        collection = await _collection(conn, caller, collection_id)
        _access(collection, caller, "update")
        for index, entry in enumerate(listed):
            here = f"patches[{index}]"
            try:
                if not isinstance(entry, dict):
                    raise ValidationFailed([FieldViolation(here, "must be {dataItemId, fieldModifications}", "TYPE")])
                iid = rules.validate_item_id(entry.get("dataItemId"), f"{here}.dataItemId")
                mods = patching.parse_modifications(
                    entry.get("fieldModifications"), f"{here}.fieldModifications", _field_name_ok, rules.SYSTEM_FIELDS
                )
            except DomainError as error:
                outcomes.append(BulkOutcome(index, BulkAction.PATCH, None, error=error))
                continue

            async def write(iid: str = iid, mods: tuple[patching.FieldModification, ...] = mods) -> tuple[Item, BulkAction]:
                return await _patch_in(conn, caller, collection, iid, mods, at), BulkAction.PATCH

            outcomes.append(await _each(conn, index, BulkAction.PATCH, iid, write))
    return outcomes


async def query(db: Database, caller: Caller, collection_id: Any, raw_query: Any) -> tuple[list[Item], int, rules.ItemQuery]:
    """Items the caller may read that match the query, and how many match in all."""
    cid = rules.validate_collection_id(collection_id)
    parsed = rules.parse_item_query(raw_query, cid)
    async with db.read() as conn:
        collection = await _collection(conn, caller, cid)
        granted = _access(collection, caller, "read")
        owner = caller.subject_id if granted == "own" else None
        items, total = await repo.query_items(conn, caller.project_id, collection.id, parsed.query, owner)
    assert total is not None  # query_items counts by default
    return items, total, parsed


async def count(db: Database, caller: Caller, collection_id: Any, raw_filter: Any) -> int:
    """How many items the caller may read match ``filter`` (the query builder's ``count()``)."""
    cid = rules.validate_collection_id(collection_id)
    parsed = rules.parse_count_filter(raw_filter)
    async with db.read() as conn:
        collection = await _collection(conn, caller, cid)
        granted = _access(collection, caller, "read")
        owner = caller.subject_id if granted == "own" else None
        _, total = await repo.query_items(conn, caller.project_id, collection.id, parsed, owner)
    assert total is not None
    return total


async def browse(
    db: Database, caller: Caller, collection_id: Any, raw_query: Any, count_cap: int | None
) -> tuple[list[Item], int | None, bool]:
    """An admin's page of items (the owner console): the query checked as the REST API's is, and
    the match count capped at ``count_cap`` (the flag says there are more; None: not counted
    unless the page tells it)."""
    _require_admin(caller)
    cid = rules.validate_collection_id(collection_id)
    parsed = rules.parse_item_query(raw_query, cid)
    async with db.read() as conn:
        collection = await _collection(conn, caller, cid)
        return await repo.page_items(conn, caller.project_id, collection.id, parsed.query, count_cap)


def _read_owner(collection: rules.Collection, caller: Caller) -> str | None:
    """Whose items a read sees: everyone's, or only the caller's under SITE_MEMBER_AUTHOR."""
    return caller.subject_id if _access(collection, caller, "read") == "own" else None


def _plain(value: Any) -> Any:
    """A distinct system-column value as the wire writes it (dates as {"$date"})."""
    return {"$date": iso(value)} if isinstance(value, datetime) else value


async def distinct(db: Database, caller: Caller, collection_id: Any, body: dict[str, Any]) -> tuple[list[Any], int, int]:
    """The distinct values of ``body.fieldName`` among the items the caller may read that match
    ``body.filter``: one page, the number of them, and the page's offset."""
    cid = rules.validate_collection_id(collection_id)
    request = aggregates.parse_distinct(body, rules.ITEM_QUERY_SPEC)
    async with db.read() as conn:
        collection = await _collection(conn, caller, cid)
        values, total = await repo.distinct_values(conn, caller.project_id, collection.id, request, _read_owner(collection, caller))
    return [_plain(v) for v in values], total, request.offset


async def aggregate(db: Database, caller: Caller, collection_id: Any, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int, int]:
    """Wix's ``aggregateDataItems``: results ``{_id: {group fields} | null, <group fields>,
    <result names>}``, the number of groups, and the page's offset."""
    cid = rules.validate_collection_id(collection_id)
    request = aggregates.parse_aggregation(body, rules.ITEM_QUERY_SPEC)
    async with db.read() as conn:
        collection = await _collection(conn, caller, cid)
        rows, total = await repo.aggregate_items(conn, caller.project_id, collection.id, request, _read_owner(collection, caller))
    results = []
    for row in rows:
        group = {name: row[name] for name in request.group_by}
        results.append({"_id": group or None, **row})
    return results, total, request.offset
