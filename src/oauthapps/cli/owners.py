"""``oauthapps owners``: people who sign in to the owner console (/console)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..domain.owners import OwnerRole
from ..services import owners as owner_service
from ..store.database import Database
from .output import emit, message
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="Owners who sign in to the console at /console.", no_args_is_help=True)


@group.command("create")
def owners_create(
    project: ProjectOpt,
    email: Annotated[str, typer.Option(help="The owner's email (their sign-in).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password (8 to 256 characters) from the first line of stdin.")
    ] = False,
    role: Annotated[OwnerRole, typer.Option(help="owner: everything; viewer: read only.")] = OwnerRole.OWNER,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a console owner of a project; an existing owner's email gets the project added
    (their password stays as it was)."""
    if not password_stdin:
        raise typer.BadParameter(
            "pass the password on stdin with --password-stdin (never on the command line)", param_hint="--password-stdin"
        )
    password = sys.stdin.readline().rstrip("\r\n")

    async def work(db: Database) -> tuple[str, bool]:
        return await owner_service.create_owner(db, project, email, password, role)

    owner_id, created = run(database, work)
    note = "created" if created else "existing owner; project added"
    emit({"ownerId": owner_id}, as_json, message("Owner {} ({}): {}", email, note, owner_id))
