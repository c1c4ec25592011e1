"""``oauthapps mail``: the outbox (the development outbox too, when no SMTP server is set) and a
test mail that checks the set-up end to end."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import typer

from ..domain.mail import MailStatus
from ..services import mail as mail_service
from ..store.database import Database
from ..store.outbox import OutboxMail
from .output import emit, fields, message, table
from .owner import require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="Outgoing mail: the outbox, and a test mail to check the set-up.", no_args_is_help=True)

MAX_WAIT_SECONDS = 600


def _wire(mail: OutboxMail, with_body: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": mail.id,
        "projectId": mail.project_id,
        "template": mail.template,
        "to": mail.recipient,
        "senderName": mail.sender_name,
        "subject": mail.subject,
        "status": mail.status.value,
        "attempts": mail.attempts,
        "lastError": mail.last_error,
        "createdDate": mail.created_at.isoformat(),
        "finishedDate": mail.finished_at.isoformat() if mail.finished_at else None,
    }
    if with_body:
        out["text"] = mail.body_text
    return out


@group.command("list")
def mail_list(
    project: Annotated[str | None, typer.Option("--project", help="Only this project's mails.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first (1 to 1000).")] = 50,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List mails, newest first: queued, sent, failed, and the development outbox's (with their text in --json)."""

    async def work(db: Database) -> list[OutboxMail]:
        if project is not None:
            await require_project(db, project)
        return await mail_service.list_mails(db, project, limit)

    mails = run(database, work)
    emit(
        [_wire(m, with_body=True) for m in mails],
        as_json,
        table(
            ("id", "created", "status", "to", "subject"),
            [(m.id, m.created_at.isoformat(timespec="seconds"), m.status.value, m.recipient, m.subject) for m in mails],
        ),
    )


@group.command("show")
def mail_show(mail_id: str, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Show one mail with its plain-text body (the development outbox's links are in it)."""

    async def work(db: Database) -> OutboxMail:
        mail = await mail_service.get_mail(db, mail_id)
        if mail is None:
            from ..domain.errors import NotFound

            raise NotFound(f"No mail {mail_id}", code="MAIL_NOT_FOUND")
        return mail

    mail = run(database, work)
    wire = _wire(mail, with_body=True)
    header = {k: wire[k] for k in ("id", "status", "to", "senderName", "subject", "attempts", "lastError") if wire[k] is not None}
    emit(wire, as_json, *fields(header, 10), message("\n{}", mail.body_text))


@group.command("test")
def mail_test(
    project: ProjectOpt,
    to: Annotated[str, typer.Option("--to", help="Where to send the test mail.")],
    wait: Annotated[int, typer.Option(help="Wait up to this many seconds for a running server to send it (0: do not wait).")] = 0,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue a test mail from the project; a running server sends it like every other mail."""
    if not 0 <= wait <= MAX_WAIT_SECONDS:
        raise typer.BadParameter(f"must be from 0 to {MAX_WAIT_SECONDS}", param_hint="--wait")

    async def work(db: Database) -> OutboxMail | None:
        await require_project(db, project)
        mail_id = await mail_service.send_test_mail(db, project, to)
        deadline = time.monotonic() + wait
        while True:
            mail = await mail_service.get_mail(db, mail_id)
            if mail is None or mail.status is not MailStatus.PENDING or time.monotonic() >= deadline:
                return mail
            await asyncio.sleep(0.5)

    mail = run(database, work)
    if mail is None:  # purged already: only with a retention shorter than the wait
        raise typer.Exit(1)
    emit(
        {"id": mail.id, "status": mail.status.value, "lastError": mail.last_error},
        as_json,
        message("Test mail {} to {}: {}{}", mail.id, mail.recipient, mail.status.value, f" ({mail.last_error})" if mail.last_error else ""),
    )
    if mail.status is MailStatus.FAILED:
        raise typer.Exit(1)
