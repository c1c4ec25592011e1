"""The mail outbox table: rows written with the change that causes them, claimed atomically by one
sender at a time, finished as sent, failed or development mail, and purged after retention."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.mail import MailStatus
from ..ids import random_uuid
from .schema import mail_outbox, projects

MAX_ERROR = 512


@dataclass(frozen=True)
class NewMail:
    project_id: str
    template: str
    recipient: str
    sender_name: str
    subject: str
    body_text: str
    body_html: str


@dataclass(frozen=True)
class OutboxMail(NewMail):
    """A mail as stored: what was written, plus its place in the queue."""

    id: str
    status: MailStatus
    attempts: int
    rejections: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def _mail(row: object) -> OutboxMail:
    r = row._mapping  # type: ignore[attr-defined]
    return OutboxMail(**{f.name: r[f.name] for f in fields(OutboxMail)} | {"status": MailStatus(r["status"])})


async def sender_name_of(conn: AsyncConnection, project_id: str) -> str | None:
    """The project's sender name (its own, else its name); None when there is no such project."""
    row = (await conn.execute(select(projects.c.name, projects.c.mail_sender_name).where(projects.c.id == project_id))).first()
    if row is None:
        return None
    return str(row.mail_sender_name or row.name)


async def set_sender_name(conn: AsyncConnection, project_id: str, name: str | None) -> bool:
    result = await conn.execute(update(projects).where(projects.c.id == project_id).values(mail_sender_name=name))
    return bool(result.rowcount)


async def add(conn: AsyncConnection, mail: NewMail, at: datetime) -> str:
    mail_id = random_uuid()
    await conn.execute(
        insert(mail_outbox).values(
            id=mail_id,
            **{f.name: getattr(mail, f.name) for f in fields(NewMail)},
            status=MailStatus.PENDING,
            attempts=0,
            rejections=0,
            next_attempt_at=at,
            created_at=at,
        )
    )
    return mail_id


def _due(at: datetime) -> object:
    return and_(
        mail_outbox.c.status == MailStatus.PENDING,
        mail_outbox.c.next_attempt_at <= at,
        or_(mail_outbox.c.claimed_until.is_(None), mail_outbox.c.claimed_until < at),
    )


async def any_due(conn: AsyncConnection, at: datetime) -> bool:
    """A cheap read before claiming, so an idle sender never takes SQLite's write lock."""
    return (await conn.execute(select(mail_outbox.c.id).where(_due(at)).limit(1))).first() is not None  # type: ignore[arg-type]


async def claim(conn: AsyncConnection, claimer: str, at: datetime, lease: timedelta, limit: int) -> list[OutboxMail]:
    """Claim up to ``limit`` due mails for ``claimer`` in one statement. PostgreSQL: the rows are
    picked ``FOR UPDATE SKIP LOCKED`` (a concurrent claimer skips them, and the condition is
    re-checked on the newest row version); SQLite: the caller's transaction is ``BEGIN IMMEDIATE``
    (store/database.py), so one claimer at a time."""
    due = select(mail_outbox.c.id).where(_due(at)).order_by(mail_outbox.c.next_attempt_at).limit(limit)  # type: ignore[arg-type]
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(mail_outbox)
        .where(mail_outbox.c.id.in_(due.scalar_subquery()), _due(at))  # type: ignore[arg-type]
        .values(claimed_by=claimer, claimed_until=at + lease, attempts=mail_outbox.c.attempts + 1)
        .returning(*mail_outbox.c)
    )
    return [_mail(row) for row in (await conn.execute(statement)).all()]


async def finish(conn: AsyncConnection, mail_id: str, claimer: str, status: MailStatus, at: datetime, error: str | None = None) -> None:
    """Sent, failed, or kept as development mail: the row leaves the queue."""
    await conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id, mail_outbox.c.claimed_by == claimer)
        .values(status=status, finished_at=at, claimed_by=None, claimed_until=None, last_error=error[:MAX_ERROR] if error else None)
    )


async def retry_later(conn: AsyncConnection, mail_id: str, claimer: str, when: datetime, error: str, rejected: bool) -> None:
    await conn.execute(
        update(mail_outbox)
        .where(mail_outbox.c.id == mail_id, mail_outbox.c.claimed_by == claimer)
        .values(
            next_attempt_at=when,
            claimed_by=None,
            claimed_until=None,
            last_error=error[:MAX_ERROR],
            rejections=mail_outbox.c.rejections + (1 if rejected else 0),
        )
    )


async def purge(conn: AsyncConnection, before: datetime) -> int:
    """Forget finished mails (sent, failed, development) older than the retention period."""
    result = await conn.execute(delete(mail_outbox).where(mail_outbox.c.status != MailStatus.PENDING, mail_outbox.c.finished_at < before))
    return int(result.rowcount or 0)


async def depth(conn: AsyncConnection) -> int:
    """Mails not yet accepted by the mail server (the metric to alert on when it keeps growing)."""
    return int(
        (await conn.execute(select(func.count()).select_from(mail_outbox).where(mail_outbox.c.status == MailStatus.PENDING))).scalar_one()
    )


async def get(conn: AsyncConnection, mail_id: str) -> OutboxMail | None:
    row = (await conn.execute(select(mail_outbox).where(mail_outbox.c.id == mail_id))).first()
    return _mail(row) if row else None


async def recent(conn: AsyncConnection, project_id: str | None, limit: int) -> list[OutboxMail]:
    """The newest mails first, of one project or of all."""
    query = select(mail_outbox).order_by(mail_outbox.c.created_at.desc(), mail_outbox.c.id).limit(limit)
    if project_id is not None:
        query = query.where(mail_outbox.c.project_id == project_id)
    return [_mail(row) for row in (await conn.execute(query)).all()]
