"""Mail as the features use it: ``enqueue_mail`` inside the transaction of the change that causes
the mail (the outbox row commits with it, or neither does), and the owner's mail tools (the
sender name, a test mail, the outbox list)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock
from ..domain.errors import FieldViolation, NotFound, ValidationFailed
from ..domain.mail import MailTemplate, check_recipient, check_sender_name
from ..mail.render import render
from ..store import outbox
from ..store.database import Database
from ..store.outbox import NewMail, OutboxMail

MAX_LIST = 1000
RESERVED_PARAMS = frozenset({"sender_name", "to"})


async def enqueue_mail(conn: AsyncConnection, project_id: str, to: str, template: MailTemplate, params: Mapping[str, object]) -> str:
    """Render ``template`` with ``params`` (plus ``sender_name`` and ``to``) and queue it for ``to``
    on ``conn``'s transaction; returns the mail's id. The server's outbox sender delivers it once
    the transaction commits."""
    recipient = check_recipient(to)
    clash = RESERVED_PARAMS & set(params)
    if clash:
        raise ValueError(f"mail parameters {sorted(clash)} are set by enqueue_mail itself")
    sender_name = await outbox.sender_name_of(conn, project_id)
    if sender_name is None:
        raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
    rendered = render(template, {**params, "sender_name": sender_name, "to": recipient})
    mail = NewMail(project_id, template.value, recipient, sender_name, rendered.subject, rendered.text, rendered.html)
    return await outbox.add(conn, mail, clock.now())


async def send_test_mail(db: Database, project_id: str, to: str) -> str:
    """A mail that checks the set-up: it goes the way every other mail goes."""
    async with db.transaction() as conn:
        return await enqueue_mail(conn, project_id, to, MailTemplate.TEST, {})


async def set_sender_name(db: Database, project_id: str, name: str | None) -> None:
    """The display name of the project's From header; None goes back to the project's name."""
    checked = check_sender_name(name) if name is not None else None
    async with db.transaction() as conn:
        if not await outbox.set_sender_name(conn, project_id, checked):
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")


async def sender_name(db: Database, project_id: str) -> str:
    """The name the project's mails come from (its own sender name, else the project's name)."""
    async with db.read() as conn:
        name = await outbox.sender_name_of(conn, project_id)
    if name is None:
        raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
    return name


async def list_mails(db: Database, project_id: str | None, limit: int) -> list[OutboxMail]:
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed([FieldViolation("limit", f"must be from 1 to {MAX_LIST}", "RANGE")])
    async with db.read() as conn:
        return await outbox.recent(conn, project_id, limit)


async def get_mail(db: Database, mail_id: str) -> OutboxMail | None:
    async with db.read() as conn:
        return await outbox.get(conn, mail_id)


async def outbox_depth(db: Database) -> int:
    """Mails waiting for the mail server: for a metric, and an alert when it keeps growing."""
    async with db.read() as conn:
        return await outbox.depth(conn)
