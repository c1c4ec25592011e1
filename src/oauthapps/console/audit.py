"""The audit trail page: who changed which OAuth app field when, newest first, filtered by app,
actor, action and time, in the API's cursor pages (services/audit_log.py). The filter form's
fields carry the API's parameter names, so a filtered page's address reads like the API call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ..domain import audit_log as rules
from ..domain.audit_log import AuditAction, AuditFilter
from ..domain.errors import ValidationFailed
from ..services import audit_log as audit_service
from ..services.actor import ActorKind
from . import pages
from .forms import Form, violations_to_errors
from .guard import Visit, console_page

PAGE_SIZE = 50
SHOWN_MAX = rules.MAX_CURSOR_CHARS  # what a field may echo back into the page
ACTOR_LABELS = {
    ActorKind.CONSOLE: "Console owner",
    ActorKind.API_KEY: "API key",
    ActorKind.APP: "Installed app",
    ActorKind.CLI: "Command line",
}
ACTION_LABELS = {action: action.value.split(".", 1)[1].replace("_", " ").capitalize() for action in AuditAction}
# A filter's time as a datetime-local field shows it (UTC, to the second).
LOCAL_TIME = "%Y-%m-%dT%H:%M:%S"


def audit_url(project_id: str, filter_: AuditFilter | None = None) -> str:
    """The page (first page) with these filters; the OAuth app page links here with its id."""
    query = urlencode(filter_.to_wire()) if filter_ else ""
    return f"/console/p/{project_id}/audit" + (f"?{query}" if query else "")


def _shown(filter_: AuditFilter) -> Form:
    """The filter form as a cursor's filter fills it (the cursor page has no filter parameters)."""
    values = filter_.to_wire()
    for name, at in ((rules.FROM, filter_.since), (rules.TO, filter_.until)):
        if at is not None:
            values[name] = at.strftime(LOCAL_TIME)
    return Form(values)


def _row(entry: rules.AuditEntry, labels: audit_service.Labels) -> dict[str, Any]:
    wire = rules.to_wire(entry)
    actor = labels.owner_emails.get(entry.actor_id) if entry.actor_type == ActorKind.CONSOLE else None
    return {
        "at": wire["createdDate"],
        "app_id": entry.oauth_app_id,
        "app_name": labels.app_names.get(entry.oauth_app_id),
        "action": ACTION_LABELS[entry.action],
        "actor_kind": ACTOR_LABELS.get(entry.actor_type, entry.actor_type),  # type: ignore[call-overload]
        "actor": actor or entry.actor_id,
        "fields": entry.fields,
    }


@console_page()
async def audit_trail(request: Request, visit: Visit, _form: Form | None) -> Response:
    raw = {name: request.query_params.get(name) for name in (*rules.FILTER_NAMES, rules.CURSOR)}
    form = Form({name: (value or "")[:SHOWN_MAX] for name, value in raw.items() if name != rules.CURSOR})
    context: dict[str, Any] = {
        "title": "Audit trail",
        "actor_labels": ACTOR_LABELS,
        "action_labels": ACTION_LABELS,
        "filter_names": {"app": rules.APP, "actor_type": rules.ACTOR_TYPE, "actor_id": rules.ACTOR_ID, "action": rules.ACTION},
        "first_page": audit_url(visit.project.project_id),
    }
    try:
        read = audit_service.parse({**raw, rules.LIMIT: str(PAGE_SIZE)})
    except ValidationFailed as err:
        violations_to_errors(form, err.violations, {name: name for name in rules.FILTER_NAMES})
        return pages.render("audit.html", 400, form=form, entries=[], **context, **visit.context())
    page = await audit_service.read(visit.runtime.db, visit.actor, read, with_labels=True)
    labels = page.labels or audit_service.Labels({}, {})
    return pages.render(
        "audit.html",
        form=form if read.after is None else _shown(read.filter),
        entries=[_row(e, labels) for e in page.entries],
        filtered=read.filter != AuditFilter(),
        app_name=labels.app_names.get(read.filter.oauth_app_id or ""),
        filtered_app=read.filter.oauth_app_id,
        next_url=f"?{urlencode({rules.CURSOR: page.next_cursor})}" if page.next_cursor else None,
        newest_url=audit_url(visit.project.project_id, read.filter) if read.after is not None else None,
        **context,
        **visit.context(),
    )
