"""The owner API keys page: the project's keys (name, hint, created; never a key), a new key shown
once, and revoking one after typing its name. The keys are made and revoked by
services/tenancy.py, as the CLI's are; a revoked key stops working at once on every process."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import NotFound, ValidationFailed
from ..services import tenancy as tenancy_service
from ..store.tenancy import ListedKey
from . import pages
from .forms import Form, check_controls, violations_to_errors
from .guard import Visit, console_page

FIELDS = {"name": "name"}


def _keys_url(visit: Visit) -> str:
    return f"/console/p/{visit.project.project_id}/keys"


async def _keys_page(visit: Visit, *, form: Form | None = None, revoked: bool = False, status: int = 200) -> Response:
    keys = await tenancy_service.api_keys(visit.runtime.db, visit.project.project_id)
    return pages.render(
        "keys.html",
        status,
        title="API keys",
        keys=keys,
        max_keys=tenancy_service.MAX_API_KEYS,
        name_max=tenancy_service.KEY_NAME_MAX,
        form=form or Form({}),
        revoked=revoked,
        **visit.context(),
    )


@console_page()
async def list_keys(request: Request, visit: Visit, _form: Form | None) -> Response:
    return await _keys_page(visit, revoked=request.query_params.get("revoked") == "1")


@console_page(write=True)
async def create_key(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    check_controls(form, ["name"])
    if form.errors:
        return await _keys_page(visit, form=form, status=400)
    try:
        made = await tenancy_service.create_api_key(visit.runtime.db, visit.project.project_id, form.get("name"))
    except ValidationFailed as err:
        violations_to_errors(form, err.violations, FIELDS)
        return await _keys_page(visit, form=form, status=400)
    return pages.render("key_secret.html", title=f"API key {made.key.name}", key=made.key, secret=made.secret, **visit.context())


async def _key(request: Request, visit: Visit) -> ListedKey:
    key_id = str(request.path_params["key_id"])
    for key in await tenancy_service.api_keys(visit.runtime.db, visit.project.project_id):
        if key.id == key_id:
            return key
    raise NotFound("No such API key")


def _revoke_page(visit: Visit, key: ListedKey, form: Form, status: int = 200) -> Response:
    return pages.render("key_revoke.html", status, title=f"Revoke {key.name}", key=key, form=form, **visit.context())


@console_page()
async def confirm_revoke(request: Request, visit: Visit, _form: Form | None) -> Response:
    if not visit.can_change:
        return pages.message("Read only", "Your role in this project can see it but not change it.", 403, **visit.context())
    return _revoke_page(visit, await _key(request, visit), Form({}))


@console_page(write=True)
async def revoke_key(request: Request, visit: Visit, form: Form | None) -> Response:
    assert form is not None
    key = await _key(request, visit)
    if form.get("confirm_name") != key.name:
        form.add_error("confirm_name", "type the key's name exactly to revoke it")
        return _revoke_page(visit, key, form, 400)
    await tenancy_service.revoke_api_key(visit.runtime.db, visit.project.project_id, key.id)
    return pages.redirect(f"{_keys_url(visit)}?revoked=1")
