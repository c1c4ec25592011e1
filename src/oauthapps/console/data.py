"""The Data pages: collections with who may read, insert, update and remove their items (create,
edit, delete after typing the id), and a collection's items (browse a page at a time with a
field = value or starts-with filter and a sort, view as JSON, insert, edit, delete). Every change
goes through services/data.py, the path of the REST /wix-data/v2 API, with the owner as an admin
caller; the filter is built as a REST query and checked by the same parser."""

from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..domain import data_items as rules
from ..domain.errors import Conflict, DomainError, FieldViolation, NotFound, ValidationFailed
from ..domain.oauth_app import iso
from ..services import data as data_service
from ..store.data import Item
from . import pages
from .forms import Form, check_controls
from .guard import Visit, console_page

PAGE_SIZE = 25
MAX_PAGE = 400  # 10,000 items at 25 a page: skipping more costs more than a page should; a filter or the other order reaches the rest
COUNT_CAP = 10_000
FIELD_MAX = 128
VALUE_MAX = 1_024
PREVIEW_CHARS = 160
# Item JSON arrives form-encoded (up to 3 bytes a character): room for the REST API's item limit,
# so the service's own check says "too large" inline.
ITEM_FORM_LIMIT = 3 * rules.MAX_ITEM_BYTES + 64 * 1024
PERMISSION_LABELS = {
    rules.DataPermission.ANYONE: "Anyone",
    rules.DataPermission.SITE_MEMBER: "Members",
    rules.DataPermission.SITE_MEMBER_AUTHOR: "The member who added it",
    rules.DataPermission.ADMIN: "Admins only",
}
# What the filter's "Match" choice means: an operator and how the typed value is read.
MATCHES = {
    "is": "is (text)",
    "is_number": "is (number)",
    "is_boolean": "is (true or false)",
    "starts": "starts with",
}
ORDERS = {"desc": "Descending", "asc": "Ascending"}
DEFAULT_SORT_FIELD = "_createdDate"
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
# Service field (last path part) -> form field.
COLLECTION_FIELDS = {"id": "id", "displayName": "display_name", **{op: op for op in rules.OPERATIONS}}


def _data_url(visit: Visit) -> str:
    return f"/console/p/{visit.project.project_id}/data"


def _collection_url(visit: Visit, collection_id: str) -> str:
    return f"{_data_url(visit)}/collections/{collection_id}"


def _read_only(visit: Visit) -> Response:
    return pages.message("Read only", "Your role in this project can see it but not change it.", 403, **visit.context())


async def _collection(visit: Visit, request: Request) -> rules.Collection:
    """The collection of the address: an id that is not even well-formed is as absent as another project's."""
    try:
        return await data_service.get_collection(visit.runtime.db, visit.data_caller, request.path_params["collection_id"])
    except ValidationFailed:
        raise NotFound("no such collection") from None


async def _item(visit: Visit, collection: rules.Collection, item_id: str) -> Item:
    if not rules.ITEM_ID_RE.match(item_id):
        raise NotFound("no such item")
    return await data_service.get(visit.runtime.db, visit.data_caller, collection.id, item_id)


def _permissions_rows(collection: rules.Collection) -> list[tuple[str, str]]:
    return [(op, PERMISSION_LABELS[rules.DataPermission(collection.permissions[op])]) for op in rules.OPERATIONS]


# --- collections ------------------------------------------------------------------------------


@console_page()
async def list_collections(request: Request, visit: Visit, _form: Form | None) -> Response:
    found = await data_service.list_collections(visit.runtime.db, visit.data_caller)
    return pages.render(
        "data_collections.html",
        title="Data",
        collections=[{"id": c.id, "title": c.title, "permissions": _permissions_rows(c)} for c in found],
        deleted=request.query_params.get("deleted") == "1",
        **visit.context(),
    )


def _permission_choices() -> dict[str, str]:
    return {str(k): v for k, v in PERMISSION_LABELS.items()}


def _new_collection_page(visit: Visit, form: Form, status: int = 200) -> Response:
    return pages.render(
        "data_collection_new.html",
        status,
        title="New collection",
        form=form,
        operations=rules.OPERATIONS,
        choices=_permission_choices(),
        **visit.context(),
    )


def _default_permissions_form() -> Form:
    return Form({op: str(policy) for op, policy in rules.DEFAULT_PERMISSIONS.items()})


@console_page()
async def new_collection(request: Request, visit: Visit, _form: Form | None) -> Response:
    if not visit.can_change:
        return _read_only(visit)
    return _new_collection_page(visit, _default_permissions_form())


def _check_permissions(form: Form) -> dict[str, str]:
    for op in rules.OPERATIONS:
        if form.get(op) not in rules.POLICIES:
            form.add_error(op, "choose one of the listed roles")
    return {op: form.get(op) for op in rules.OPERATIONS}


def _collection_errors(form: Form, violations: list[FieldViolation]) -> None:
    for v in violations:
        tail = v.field.rsplit(".", 1)[-1]
        form.add_error(COLLECTION_FIELDS.get(tail, "form"), v.description)


@console_page(write=True)
async def create_collection(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    check_controls(form, ["id", "display_name"])
    permissions = _check_permissions(form)
    if form.errors:
        return _new_collection_page(visit, form, 400)
    collection_id = form.get("id").strip()
    try:
        await data_service.create_collection(visit.runtime.db, visit.data_caller, collection_id, permissions, form.get("display_name"))
    except ValidationFailed as err:
        _collection_errors(form, err.violations)
        return _new_collection_page(visit, form, 400)
    except Conflict:
        form.add_error("id", "a collection with this ID already exists")
        return _new_collection_page(visit, form, 400)
    return pages.redirect(f"{_collection_url(visit, collection_id)}?created=1")


async def _items_count(visit: Visit, collection: rules.Collection) -> tuple[int, bool]:
    _, total, more = await data_service.browse(visit.runtime.db, visit.data_caller, collection.id, {"paging": {"limit": 0}}, COUNT_CAP)
    return total or 0, more


async def _settings_page(
    visit: Visit,
    collection: rules.Collection,
    *,
    edit: Form | None = None,
    delete: Form | None = None,
    flash: str = "",
    status: int = 200,
) -> Response:
    total, more = await _items_count(visit, collection)
    edit = edit or Form({"display_name": collection.display_name or "", **collection.permissions})
    return pages.render(
        "data_settings.html",
        status,
        title=f"Settings of {collection.title}",
        collection=collection,
        edit=edit,
        delete=delete or Form({}),
        operations=rules.OPERATIONS,
        choices=_permission_choices(),
        item_count=total,
        more_items=more,
        count_cap=COUNT_CAP,
        flash=flash,
        **visit.context(),
    )


@console_page()
async def collection_settings(request: Request, visit: Visit, _form: Form | None) -> Response:
    collection = await _collection(visit, request)
    if not visit.can_change:
        return _read_only(visit)
    return await _settings_page(visit, collection)


@console_page(write=True)
async def update_collection(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    collection = await _collection(visit, request)
    check_controls(form, ["display_name"])
    permissions = _check_permissions(form)
    if form.errors:
        return await _settings_page(visit, collection, edit=form, status=400)
    try:
        updated = await data_service.update_collection(
            visit.runtime.db, visit.data_caller, collection.id, permissions, form.get("display_name")
        )
    except ValidationFailed as err:
        _collection_errors(form, err.violations)
        return await _settings_page(visit, collection, edit=form, status=400)
    return await _settings_page(visit, updated, flash="Saved.")


@console_page(write=True)
async def delete_collection(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    collection = await _collection(visit, request)
    if form.get("confirm_id") != collection.id:
        form.add_error("confirm_id", "type the collection's ID exactly to delete it")
        return await _settings_page(visit, collection, delete=form, status=400)
    await data_service.delete_collection(visit.runtime.db, visit.data_caller, collection.id)
    return pages.redirect(f"{_data_url(visit)}?deleted=1")


# --- items: browse ----------------------------------------------------------------------------


def _page_number(raw: str | None) -> int:
    return min(int(raw), MAX_PAGE) if raw and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


FIELD_NAME_HINT = "letters, digits and _, starting with a letter; or _id, _owner, _createdDate, _updatedDate"


def _field_name(text: str) -> bool:
    return text in rules.SYSTEM_FIELDS or rules.FIELD_NAME_RE.match(text) is not None


def _typed_value(form: Form) -> Any:
    """The filter value as the chosen match reads it (an error on the form if it cannot)."""
    text, match = form.get("v"), form.get("m")
    if match == "is_number":
        if not NUMBER_RE.match(text.strip()):
            form.add_error("v", "must be a number, like 42 or -1.5")
            return None
        number = float(text) if any(c in text for c in ".eE") else int(text)
        if isinstance(number, float) and not math.isfinite(number):
            form.add_error("v", "must be a finite number")
            return None
        return number
    if match == "is_boolean":
        if text.strip().lower() not in ("true", "false"):
            form.add_error("v", "must be true or false")
            return None
        return text.strip().lower() == "true"
    return text


def _browse_query(form: Form, page_number: int) -> dict[str, Any]:
    """The REST query for the filter form: ``{field: {"$eq" | "$startsWith": value}}``, one sort
    key, and a page. Checked here for size and shape; the service parses it as the REST API does."""
    check_controls(form, ["f", "v", "s"])
    for name, limit in (("f", FIELD_MAX), ("s", FIELD_MAX), ("v", VALUE_MAX)):
        if len(form.get(name)) > limit:
            form.add_error(name, f"must be at most {limit} characters")
    if form.get("m") not in MATCHES:
        form.add_error("m", "choose one of the listed matches")
    if form.get("o") not in ORDERS:
        form.add_error("o", "choose ascending or descending")
    field, sort_field = form.get("f").strip(), form.get("s").strip() or DEFAULT_SORT_FIELD
    for name, value in (("f", field), ("s", sort_field)):
        if value and not form.errors.get(name) and not _field_name(value):
            form.add_error(name, f"is not a field name ({FIELD_NAME_HINT})")
    raw: dict[str, Any] = {
        "sort": [{"fieldName": sort_field, "order": form.get("o").upper()}],
        "paging": {"limit": PAGE_SIZE + 1, "offset": (page_number - 1) * PAGE_SIZE},
    }
    if field and not form.errors:
        value = _typed_value(form)
        op = "$startsWith" if form.get("m") == "starts" else "$eq"
        raw["filter"] = {field: {op: value}}
    elif form.get("v") and not field:
        form.add_error("f", "name the field to filter on")
    return raw


def _query_errors(form: Form, violations: list[FieldViolation]) -> None:
    for v in violations:
        if v.field.startswith("query.sort"):
            form.add_error("s", v.description)
        elif v.violated_rule in ("UNKNOWN_FIELD", "UNSUPPORTED_OPERATOR"):
            form.add_error("f", v.description)
        else:
            form.add_error("v", v.description)


def _preview(item: Item) -> str:
    """The item's fields on one line, spaced so the table can wrap it; cut at PREVIEW_CHARS."""
    text = orjson.dumps(item.data).decode()
    if len(text) <= 4 * PREVIEW_CHARS:  # small enough to write again with spaces
        text = json.dumps(item.data, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _browse_link(form: Form, page: int) -> str:
    kept = {k: form.get(k) for k in ("f", "m", "v", "s", "o") if form.get(k)}
    return "?" + urlencode({**kept, "page": str(page)})


@console_page()
async def show_collection(request: Request, visit: Visit, _form: Form | None) -> Response:
    """Items a page at a time, newest first by default: one range read over the (project,
    collection, created) index for a page and one more item (is there a next page?), and a
    count that reads at most COUNT_CAP index entries. A filtered page is not counted (a filter
    on an item field reads the collection; counting would read it all again) unless the page
    tells the total itself."""
    collection = await _collection(visit, request)
    params = request.query_params
    form = Form({k: params.get(k, "")[: VALUE_MAX + 1] for k in ("f", "v", "s")})
    form.values["m"] = params.get("m", "is")[:16]
    form.values["o"] = params.get("o", "desc")[:8]
    page_number = _page_number(params.get("page"))
    raw = _browse_query(form, page_number)
    items: list[Item] = []
    total: int | None = 0
    more = has_next = False
    if not form.errors:
        cap = None if raw.get("filter") else COUNT_CAP
        try:
            items, total, more = await data_service.browse(visit.runtime.db, visit.data_caller, collection.id, raw, cap)
        except ValidationFailed as err:
            _query_errors(form, err.violations)
        except NotFound:
            raise
        except DomainError as err:  # too complex for the database: said beside the value
            form.add_error("v", err.description)
        has_next, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
    shown_from = (page_number - 1) * PAGE_SIZE + 1 if items else 0
    shown_to = (page_number - 1) * PAGE_SIZE + len(items)
    return pages.render(
        "data_collection.html",
        400 if form.errors else 200,
        title=collection.title,
        collection=collection,
        permissions=_permissions_rows(collection),
        items=[{"id": i.id, "preview": _preview(i), "updated": iso(i.updated_at)} for i in items],
        form=form,
        matches=MATCHES,
        orders=ORDERS,
        filtered=bool(raw.get("filter")),
        total=total,
        more=more,
        shown_from=shown_from,
        shown_to=shown_to,
        prev_link=_browse_link(form, page_number - 1) if page_number > 1 else "",
        next_link=_browse_link(form, page_number + 1) if has_next and page_number < MAX_PAGE else "",
        at_paging_limit=page_number == MAX_PAGE and has_next,
        paged_items=MAX_PAGE * PAGE_SIZE,
        created=params.get("created") == "1",
        deleted=params.get("deleted") == "1",
        **visit.context(),
    )


# --- items: view, insert, edit, delete -----------------------------------------------------------


def _pretty(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _parse_item_json(form: Form) -> Any:
    """The textarea's JSON object, or None with an error on the form. orjson refuses nesting
    deeper than the REST API's body reader accepts, with the same message."""
    check_controls(form, [], ["data"])
    if form.errors:
        return None
    text = form.get("data")
    if not text.strip():
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        form.add_error("data", f"is not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})")
        return None
    if not isinstance(value, dict):
        form.add_error("data", 'must be a JSON object, like {"title": "Hello"}')
        return None
    return value


def _item_errors(form: Form, violations: list[FieldViolation]) -> None:
    for v in violations:
        if v.field == "dataItem.id":
            form.add_error("id", v.description)
            continue
        where = v.field.removeprefix("dataItem.data").lstrip(".")
        form.add_error("data", f"{where}: {v.description}" if where else v.description)


def _new_item_page(visit: Visit, collection: rules.Collection, form: Form, status: int = 200) -> Response:
    return pages.render(
        "data_item_new.html", status, title=f"New item in {collection.title}", collection=collection, form=form, **visit.context()
    )


@console_page()
async def new_item(request: Request, visit: Visit, _form: Form | None) -> Response:
    collection = await _collection(visit, request)
    if not visit.can_change:
        return _read_only(visit)
    return _new_item_page(visit, collection, Form({"data": "{\n  \n}"}))


@console_page(write=True, form_limit=ITEM_FORM_LIMIT)
async def insert_item(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    collection = await _collection(visit, request)
    check_controls(form, ["id"])
    data = _parse_item_json(form)
    if form.errors or data is None:
        return _new_item_page(visit, collection, form, 400)
    item_id = form.get("id").strip() or None
    try:
        inserted = await data_service.insert(visit.runtime.db, visit.data_caller, collection.id, item_id, data)
    except ValidationFailed as err:
        _item_errors(form, err.violations)
        return _new_item_page(visit, collection, form, 400)
    except Conflict:
        form.add_error("id", "an item with this ID already exists in the collection")
        return _new_item_page(visit, collection, form, 400)
    assert isinstance(inserted, Item)  # no Idempotency-Key, so never a replay
    return pages.redirect(f"{_collection_url(visit, collection.id)}/items/{inserted.id}?created=1")


async def _item_page(
    visit: Visit,
    collection: rules.Collection,
    item: Item,
    *,
    edit: Form | None = None,
    delete: Form | None = None,
    flash: str = "",
    status: int = 200,
) -> Response:
    return pages.render(
        "data_item.html",
        status,
        title=f"Item {item.id}",
        collection=collection,
        item=item,
        created=iso(item.created_at),
        updated=iso(item.updated_at),
        as_json=_pretty(data_service.item_to_wire(item)["data"]),
        edit=edit or Form({"data": _pretty(item.data)}),
        delete=delete or Form({}),
        flash=flash,
        **visit.context(),
    )


@console_page()
async def show_item(request: Request, visit: Visit, _form: Form | None) -> Response:
    collection = await _collection(visit, request)
    item = await _item(visit, collection, request.path_params["item_id"])
    flash = "The item was added." if request.query_params.get("created") == "1" else ""
    return await _item_page(visit, collection, item, flash=flash)


@console_page(write=True, form_limit=ITEM_FORM_LIMIT)
async def update_item(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    collection = await _collection(visit, request)
    item = await _item(visit, collection, request.path_params["item_id"])
    data = _parse_item_json(form)
    if form.errors or data is None:
        return await _item_page(visit, collection, item, edit=form, status=400)
    try:
        updated = await data_service.update(visit.runtime.db, visit.data_caller, collection.id, item.id, data)
    except ValidationFailed as err:
        _item_errors(form, err.violations)
        return await _item_page(visit, collection, item, edit=form, status=400)
    return await _item_page(visit, collection, updated, flash="Saved.")


@console_page(write=True)
async def delete_item(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    collection = await _collection(visit, request)
    item = await _item(visit, collection, request.path_params["item_id"])
    if form.get("confirm") != "yes":
        form.add_error("confirm", "tick the box to confirm")
        return await _item_page(visit, collection, item, delete=form, status=400)
    await data_service.remove(visit.runtime.db, visit.data_caller, collection.id, item.id)
    return pages.redirect(f"{_collection_url(visit, collection.id)}?deleted=1")
