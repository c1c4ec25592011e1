"""``oauthapps audit``: who changed which OAuth app fields, and when."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..store import oauth_app_audit as oauth_app_repo
from ..store.database import Database
from .output import emit, table
from .owner import require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run


def _to_json(entry: oauth_app_repo.AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.isoformat(),
        "oAuthAppId": entry.oauth_app_id,
        "action": entry.action,
        "actorType": entry.actor_type,
        "actorId": entry.actor_id,
        "fields": entry.fields,
        "requestId": entry.request_id,
    }


def audit(
    project: ProjectOpt,
    app_id: Annotated[str | None, typer.Option("--app", help="Only this OAuth app.")] = None,
    limit: Annotated[int, typer.Option(help="Most recent N entries.")] = 100,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show who changed which OAuth app fields, and when (never a secret)."""

    async def work(db: Database) -> list[oauth_app_repo.AuditEntry]:
        await require_project(db, project)
        async with db.read() as conn:
            return await oauth_app_repo.list_audit(conn, project, app_id, limit)

    entries = run(database, work)
    emit(
        {"entries": [_to_json(e) for e in entries]},
        as_json,
        table(
            ("at", "OAuth app", "action", "actor", "fields"),
            [(e.at.isoformat(), e.oauth_app_id, e.action, f"{e.actor_type}:{e.actor_id}", ", ".join(e.fields)) for e in entries],
        ),
    )
