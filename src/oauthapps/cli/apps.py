"""``oauthapps apps``: platform apps that owners install on projects."""

from __future__ import annotations

from typing import Annotated

import typer

from ..services import tenancy as tenancy_service
from .output import emit, message
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="Platform apps that owners install on projects.", no_args_is_help=True)


@group.command("create")
def apps_create(
    name: str,
    scope: Annotated[list[str], typer.Option("--scope", help="Permission scope the app requests (repeatable).")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a platform app; prints its ID and secret (shown once)."""
    created = run(database, lambda db: tenancy_service.create_app(db, name, scope))
    emit(
        {"appId": created.app_id, "appSecret": created.app_secret},
        as_json,
        message("App [bold]{}[/bold]: {}\nApp secret (shown once): {}", name, created.app_id, created.app_secret),
    )


@group.command("install")
def apps_install(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Install an app on a project, granting the scopes it requests."""
    instance_id = run(database, lambda db: tenancy_service.install(db, app_id, project))
    emit({"instanceId": instance_id}, as_json, message("Installed; instance id: {}", instance_id))
