"""The OAuth apps pages: list (name prefix search, paging), create (the secret shown once), the
app page (edit allowed domains and redirect URIs, rotate the secret, delete with an impact
summary and the typed name). Every change goes through services/oauth_apps.py, as the REST API's do."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import clock
from ..domain.audit_log import AuditFilter
from ..domain.errors import ValidationFailed
from ..domain.oauth_app import OAuthApp, to_wire
from ..services import oauth_apps as app_service
from ..store import grants as grants_repo
from . import pages
from .audit import audit_url
from .forms import MAX_PAGE, Form, check_controls, lines, violations_to_errors
from .forms import page_number as page_number_of
from .guard import Visit, console_page

PAGE_SIZE = 25
SEARCH_MAX = 256
IMPACT_CAP = 10_000
GRACE_CHOICES = {"0": "None: the old secret stops now", "3600": "1 hour", "86400": "24 hours", "604800": "7 days"}
# Service field (last path part) -> form field.
FIELDS = {
    "name": "name",
    "description": "description",
    "allowedRedirectDomains": "domains",
    "allowedDomains": "domains",
    "allowedRedirectUris": "uris",
    "gracePeriodSeconds": "grace",
}
EDITABLE = {"allowedRedirectDomains": ("domains", "allowed_redirect_domains"), "allowedRedirectUris": ("uris", "allowed_redirect_uris")}
LABELS = {"allowedRedirectDomains": "Allowed domains", "allowedRedirectUris": "Redirect URIs"}


def _apps_url(visit: Visit) -> str:
    return f"/console/p/{visit.project.project_id}/apps"


def _row(item: dict[str, Any]) -> dict[str, Any]:
    """A listed app for the template: the page keeps stored JSON lists as raw fragments."""
    return {
        "id": item["id"],
        "name": item["name"],
        "created": item["createdDate"],
        "domains": orjson.loads(orjson.dumps(item["allowedRedirectDomains"])),
    }


@console_page()
async def list_apps(request: Request, visit: Visit, _form: Form | None) -> Response:
    """One indexed range read: (project_id, name, id), a name prefix, LIMIT/OFFSET, and a count capped in the same statement."""
    search = Form({"q": request.query_params.get("q", "")[:SEARCH_MAX]})
    check_controls(search, ["q"])
    prefix = "" if search.errors else search.get("q").strip()
    page_number = page_number_of(request.query_params.get("page"))
    raw: dict[str, Any] = {
        "sort": [{"fieldName": "name", "order": "ASC"}],
        "paging": {"limit": PAGE_SIZE, "offset": (page_number - 1) * PAGE_SIZE},
    }
    if prefix:
        raw["filter"] = {"name": {"$startsWith": prefix}}
    page, _ = await app_service.query_page(visit.runtime.db, visit.actor, raw)
    shown_to = (page_number - 1) * PAGE_SIZE + len(page.items)
    return pages.render(
        "apps.html",
        title="OAuth apps",
        apps=[_row(item) for item in page.items],
        total=page.total,
        too_many=page.too_many,
        request_deleted=request.query_params.get("deleted") == "1",
        search=search,
        prefix=prefix,
        page_number=page_number,
        has_prev=page_number > 1,
        has_next=len(page.items) == PAGE_SIZE and (page.too_many or shown_to < page.total) and page_number < MAX_PAGE,
        shown_from=(page_number - 1) * PAGE_SIZE + 1 if page.items else 0,
        shown_to=shown_to,
        **visit.context(),
    )


def _new_page(visit: Visit, form: Form, status: int = 200) -> Response:
    return pages.render("app_new.html", status, title="New OAuth app", form=form, **visit.context())


@console_page()
async def new_app(request: Request, visit: Visit, _form: Form | None) -> Response:
    if not visit.can_change:
        return pages.message("Read only", "Your role in this project can see it but not change it.", 403, **visit.context())
    return _new_page(visit, Form({}))


@console_page(write=True)
async def create_app(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    check_controls(form, ["name"], ["description", "domains", "uris"])
    if form.errors:
        return _new_page(visit, form, 400)
    body = {
        "name": form.get("name"),
        "description": form.get("description"),
        "allowedRedirectDomains": lines(form.get("domains")),
        "allowedRedirectUris": lines(form.get("uris")),
    }
    try:
        created = await app_service.create(visit.runtime.db, visit.actor, body)
    except ValidationFailed as err:
        violations_to_errors(form, err.violations, FIELDS)
        return _new_page(visit, form, 400)
    return _secret_page(visit, created.app, created.secret, "created")


def _secret_page(visit: Visit, app: OAuthApp, secret: str | None, why: str) -> Response:
    return pages.render("secret.html", title=f"Secret of {app.name}", app=to_wire(app), secret=secret, why=why, **visit.context())


async def _impact(visit: Visit, app_id: str) -> dict[str, Any]:
    async with visit.runtime.db.read() as conn:
        grants, tokens = await grants_repo.live_counts_for_app(conn, app_id, clock.now(), IMPACT_CAP)
    return {"grants": grants, "tokens": tokens, "cap": IMPACT_CAP}


async def _app_page(
    visit: Visit,
    app: OAuthApp,
    *,
    edit: Form | None = None,
    rotate: Form | None = None,
    delete: Form | None = None,
    flash: list[str] | None = None,
    status: int = 200,
) -> Response:
    wire = to_wire(app)
    edit = edit or Form({"domains": "\n".join(app.allowed_redirect_domains), "uris": "\n".join(app.allowed_redirect_uris)})
    return pages.render(
        "app.html",
        status,
        title=app.name,
        app=wire,
        has_secret=app.secret_hash is not None,
        grace_until=app.previous_secret_expires_at,
        edit=edit,
        rotate=rotate or Form({"grace": "0"}),
        delete=delete or Form({}),
        grace_choices=GRACE_CHOICES,
        impact=await _impact(visit, app.id),
        audit_url=audit_url(visit.project.project_id, AuditFilter(oauth_app_id=app.id)),
        flash=flash or [],
        **visit.context(),
    )


@console_page()
async def show_app(request: Request, visit: Visit, _form: Form | None) -> Response:
    app = await app_service.get(visit.runtime.db, visit.actor, request.path_params["app_id"])
    return await _app_page(visit, app)


def _differences(before: OAuthApp, after: OAuthApp, fields: list[str]) -> list[str]:
    """What the save changed, for the flash: per field, the entries added and removed."""
    out = []
    for wire in fields:
        attr = EDITABLE[wire][1]
        old, new = getattr(before, attr), getattr(after, attr)
        added = [x for x in new if x not in old]
        removed = [x for x in old if x not in new]
        parts = ([f"added {', '.join(added)}"] if added else []) + ([f"removed {', '.join(removed)}"] if removed else [])
        out.append(f"{LABELS[wire]}: {'; '.join(parts) or 'reordered'}")
    return out


@console_page(write=True)
async def update_app(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    db, actor, app_id = visit.runtime.db, visit.actor, request.path_params["app_id"]
    before = await app_service.get(db, actor, app_id)
    check_controls(form, [], ["domains", "uris"])
    if form.errors:
        return await _app_page(visit, before, edit=form, status=400)
    body: dict[str, Any] = {wire: lines(form.get(name)) for wire, (name, _attr) in EDITABLE.items()}
    mask = [wire for wire, (_name, attr) in EDITABLE.items() if body[wire] != getattr(before, attr)]
    if not mask:
        return await _app_page(visit, before, flash=["Nothing changed."])
    try:
        after = await app_service.update(db, actor, app_id, {k: body[k] for k in mask}, {"paths": mask})
    except ValidationFailed as err:
        violations_to_errors(form, err.violations, FIELDS)
        return await _app_page(visit, before, edit=form, status=400)
    changed = [wire for wire in mask if getattr(after, EDITABLE[wire][1]) != getattr(before, EDITABLE[wire][1])]
    return await _app_page(visit, after, flash=["Saved.", *_differences(before, after, changed)])


@console_page(write=True)
async def rotate_secret(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    db, actor, app_id = visit.runtime.db, visit.actor, request.path_params["app_id"]
    app = await app_service.get(db, actor, app_id)
    grace = form.get("grace")
    if grace not in GRACE_CHOICES:
        form.add_error("grace", "choose one of the listed grace periods")
        return await _app_page(visit, app, rotate=form, status=400)
    if app.secret_hash is None:
        secret = await app_service.generate_secret(db, actor, app_id)
    else:
        secret = await app_service.rotate_secret(db, actor, app_id, int(grace))
    return _secret_page(visit, await app_service.get(db, actor, app_id), secret, "rotated")


@console_page(write=True)
async def delete_app(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    db, actor, app_id = visit.runtime.db, visit.actor, request.path_params["app_id"]
    app = await app_service.get(db, actor, app_id)
    if form.get("confirm_name") != app.name:
        form.add_error("confirm_name", "type the app's name exactly to delete it")
        return await _app_page(visit, app, delete=form, status=400)
    await app_service.delete(db, actor, app_id)
    return pages.redirect(f"{_apps_url(visit)}?deleted=1")
