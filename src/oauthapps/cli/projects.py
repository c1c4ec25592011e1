"""``oauthapps projects``: projects (tenants) and their owner API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from ..services import mail as mail_service
from ..services import tenancy as tenancy_service
from ..store import tenancy as tenancy_repo
from ..store.database import Database
from .output import emit, message, table
from .owner import require_project
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
    require_email_verification: Annotated[
        bool | None,
        typer.Option(
            "--require-email-verification/--no-require-email-verification",
            help="Members type a code mailed to them before their first sign-in goes through.",
        ),
    ] = None,
    mail_sender_name: Annotated[
        str | None,
        typer.Option("--mail-sender-name", help="The name in the From header of the project's mails ('' for the project's name)."),
    ] = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a project's settings (only those given) and show them all."""

    async def work(db: Database) -> tuple[bool, bool, str]:
        await require_project(db, project_id)
        if require_owner_approval is not None:
            await tenancy_service.set_owner_approval(db, project_id, require_owner_approval)
        if require_email_verification is not None:
            await tenancy_service.set_email_verification(db, project_id, require_email_verification)
        if mail_sender_name is not None:
            await mail_service.set_sender_name(db, project_id, mail_sender_name or None)
        async with db.read() as conn:
            approval = await tenancy_repo.requires_owner_approval(conn, project_id)
            verification = await tenancy_repo.requires_email_verification(conn, project_id)
        return approval, verification, await mail_service.sender_name(db, project_id)

    approval, verification, sender_name = run(database, work)
    emit(
        {
            "projectId": project_id,
            "requireOwnerApproval": approval,
            "requireEmailVerification": verification,
            "mailSenderName": sender_name,
        },
        as_json,
        message(
            "Project {}: owner approval {}; email verification {}; mails come from {}",
            project_id,
            "required" if approval else "not required",
            "required" if verification else "not required",
            sender_name,
        ),
    )
