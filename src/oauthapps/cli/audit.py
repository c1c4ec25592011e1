"""``oauthapps audit``: who changed which OAuth app fields, and when; the same read, filters and
cursor pages as the audit-log API (services/audit_log.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..domain import audit_log as rules
from ..services import audit_log as service
from ..store.database import Database
from .output import emit, message, table
from .owner import owner_actor, require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run


def audit(
    project: ProjectOpt,
    app_id: Annotated[str | None, typer.Option("--app", help="Only this OAuth app.")] = None,
    actor_type: Annotated[str | None, typer.Option("--actor-type", help="Only this kind of actor (api_key, app, console, cli).")] = None,
    actor_id: Annotated[str | None, typer.Option("--actor-id", help="Only this actor (with --actor-type).")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. oauth_app.updated.")] = None,
    since: Annotated[str | None, typer.Option("--from", help="At or after this ISO-8601 time.")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Before this ISO-8601 time.")] = None,
    limit: Annotated[int, typer.Option(help=f"Entries per page (1 to {rules.MAX_LIMIT}).")] = rules.DEFAULT_LIMIT,
    cursor: Annotated[str | None, typer.Option(help="The next page: the nextCursor a previous call printed.")] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show who changed which OAuth app fields, and when (never a secret), newest first."""
    raw = {
        rules.APP: app_id,
        rules.ACTOR_TYPE: actor_type,
        rules.ACTOR_ID: actor_id,
        rules.ACTION: action,
        rules.FROM: since,
        rules.TO: until,
        rules.LIMIT: str(limit),
        rules.CURSOR: cursor,
    }

    async def work(db: Database) -> service.AuditPage:
        await require_project(db, project)
        return await service.read(db, owner_actor(project), service.parse(raw))

    page = run(database, work)
    result: dict[str, Any] = {"entries": [rules.to_wire(e) for e in page.entries]}
    if page.next_cursor is not None:
        result["nextCursor"] = page.next_cursor
    rows = [
        (rules.to_wire(e)["createdDate"], e.oauth_app_id, e.action.value, f"{e.actor_type}:{e.actor_id}", ", ".join(e.fields))
        for e in page.entries
    ]
    views: list[Any] = [table(("at", "OAuth app", "action", "actor", "fields"), rows)]
    if page.next_cursor is not None:
        views.append(message("More: --cursor {}", page.next_cursor))
    emit(result, as_json, *views)
