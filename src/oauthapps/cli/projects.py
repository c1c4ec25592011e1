"""``oauthapps projects``: projects (tenants) and their owner API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from ..services import tenancy as tenancy_service
from ..store import tenancy as tenancy_repo
from ..store.database import Database
from .output import emit, message, table
from .runner import DatabaseOpt, JsonOpt, run

group = typer.Typer(help="Projects (tenants) and their owner API keys.", no_args_is_help=True)


@group.command("create")
def projects_create(name: str, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Create a project and its owner API key (shown once)."""
    created = run(database, lambda db: tenancy_service.create_project(db, name))
    emit(
        {"projectId": created.project_id, "apiKey": created.api_key},
        as_json,
        message("Project [bold]{}[/bold]: {}\nAPI key (shown once): {}", name, created.project_id, created.api_key),
    )


@group.command("list")
def projects_list(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """List projects."""

    async def work(db: Database) -> list[tenancy_repo.Project]:
        async with db.read() as conn:
            return await tenancy_repo.list_projects(conn)

    rows = run(database, work)
    emit(
        [{"projectId": p.id, "name": p.name} for p in rows],
        as_json,
        table(("project id", "name", "created"), [(p.id, p.name, p.created_at.isoformat(timespec="seconds")) for p in rows]),
    )


@group.command("update")
def projects_update(
    project_id: str,
    require_owner_approval: Annotated[
        bool | None,
        typer.Option(
            "--require-owner-approval/--no-require-owner-approval",
            help="New members wait for `oauthapps members approve` before they can sign in.",
        ),
    ] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a project's settings (only those given)."""
    if require_owner_approval is None:
        raise typer.BadParameter("give at least one setting, e.g. --require-owner-approval")
    approval = require_owner_approval

    async def work(db: Database) -> None:
        await tenancy_service.set_owner_approval(db, project_id, approval)

    run(database, work)
    emit(
        {"projectId": project_id, "requireOwnerApproval": approval},
        as_json,
        message("Project {}: owner approval {}", project_id, "required" if approval else "not required"),
    )
