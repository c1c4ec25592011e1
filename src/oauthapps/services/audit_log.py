"""Reading a project's audit trail, newest first, one keyset page at a time: the use case behind
the audit-log API, the console's audit page and ``oauthapps audit``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..domain import scopes
from ..domain.audit_log import AuditRead, Position, encode_cursor, parse_read
from ..store import oauth_app_audit as repo
from ..store.database import Database
from .actor import Actor, ActorKind

# The actor types a filter may name: who writes to the trail (OTHER_TOKEN never does).
ACTOR_TYPES = frozenset(kind.value for kind in ActorKind if kind is not ActorKind.OTHER_TOKEN)


@dataclass(frozen=True)
class Labels:
    """What the console shows beside a page's ids: app names and console owners' emails."""

    app_names: dict[str, str]
    owner_emails: dict[str, str]


@dataclass(frozen=True)
class AuditPage:
    entries: list[repo.AuditEntry]
    next_cursor: str | None  # None on the last page
    labels: Labels | None = None  # when asked for (the console), read in the same transaction


def parse(raw: Mapping[str, str | None]) -> AuditRead:
    """Request values (wire names, domain/audit_log.py) to a read; ValidationFailed names the field."""
    return parse_read(raw, ACTOR_TYPES)


async def read(db: Database, actor: Actor, request: AuditRead, *, with_labels: bool = False) -> AuditPage:
    """One page of the caller's project: another project's app id or actor simply matches nothing.
    ``with_labels``: also the names of the page's apps and console owners (the console shows them)."""
    scopes.require_audit_read(actor.scopes, "Reading the audit log")
    labels = None
    async with db.read() as conn:
        rows = await repo.read_page(conn, actor.project_id, request.filter, request.after, request.limit + 1)
        entries = rows[: request.limit]
        if with_labels:
            app_ids = {e.oauth_app_id for e in entries} | ({request.filter.oauth_app_id} if request.filter.oauth_app_id else set())
            owner_ids = {e.actor_id for e in entries if e.actor_type == ActorKind.CONSOLE}
            labels = Labels(*await repo.labels(conn, actor.project_id, app_ids, owner_ids))
    more = len(rows) > request.limit
    cursor = encode_cursor(request.filter, Position(entries[-1].at, entries[-1].id)) if more else None
    return AuditPage(entries, cursor, labels)
