"""``oauthapps members``: members of a project (people who sign in on the hosted login)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..domain.members import MemberStatus
from ..services import member_accounts as member_service
from ..services import members as members_api
from ..store.database import Database
from .output import emit, message
from .owner import owner_caller, require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="Members of a project (people who sign in on the hosted login).", no_args_is_help=True)


@group.command("create")
def members_create(
    project: ProjectOpt,
    email: Annotated[str, typer.Option(help="The member's email (their login).")],
    password: Annotated[str, typer.Option(help="At least 8 characters; stored as an argon2id hash.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a member who can sign in through the hosted login page."""

    async def work(db: Database) -> str:
        await require_project(db, project)
        return (await member_service.create_member(db, project, email, password)).id

    member_id = run(database, work)
    emit({"memberId": member_id}, as_json, message("Member {}: {}", email, member_id))


@group.command("delete")
def members_delete(
    project: ProjectOpt,
    member_id: Annotated[str, typer.Option("--member-id", help="The member to delete.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a member with their sessions and tokens (refused at once on every server)."""

    async def work(db: Database) -> None:
        await member_service.delete_member(db, project, member_id)

    run(database, work)
    emit({"memberId": member_id, "deleted": True}, as_json, message("Member {} deleted", member_id))


def _decide(project: str, member_id: str, status: MemberStatus, database: str | None, as_json: bool, done: str) -> None:
    async def work(db: Database) -> MemberStatus:
        await require_project(db, project)
        return (await members_api.set_status(db, owner_caller(project), member_id, status)).status

    now = run(database, work)
    emit({"memberId": member_id, "status": str(now)}, as_json, message("Member {} {}", member_id, done))


MemberArg = Annotated[str, typer.Argument(help="The member's id.")]


@group.command("approve")
def members_approve(member_id: MemberArg, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Approve a member who waits for approval (or unblock one): she can sign in."""
    _decide(project, member_id, MemberStatus.APPROVED, database, as_json, "approved")


@group.command("block")
def members_block(member_id: MemberArg, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Block a member: she cannot sign in, and her tokens and sessions stop working on every server."""
    _decide(project, member_id, MemberStatus.BLOCKED, database, as_json, "blocked")


@group.command("unblock")
def members_unblock(member_id: MemberArg, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Let a blocked member sign in again (her old tokens stay revoked)."""
    _decide(project, member_id, MemberStatus.APPROVED, database, as_json, "unblocked")
