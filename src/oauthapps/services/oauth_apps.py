"""OAuth app use cases. Each write is one transaction: the change and its audit record together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, overload

from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from ..domain import credentials, scopes
from ..domain.audit_log import AuditAction
from ..domain.errors import Conflict, DomainError, FieldViolation, NotFound, ValidationFailed
from ..domain.masks import parse_mask
from ..domain.oauth_app import OAuthApp, to_wire, validate_create, validate_update
from ..domain.query import Query, parse_query
from ..store import cached, oauth_app_page
from ..store import oauth_app_audit as audit
from ..store import oauth_apps as repo
from ..store.database import READ_ONLY, Database
from . import idempotency
from .actor import Actor

MAX_GRACE_SECONDS = 7 * 24 * 3600


def _not_found(app_id: str) -> NotFound:
    return NotFound("OAuth app not found", code="OAUTH_APP_NOT_FOUND", data={"oAuthAppId": app_id})


def _check_id(app_id: str) -> None:
    """An id no app can have: answer 404 before the database sees it (PostgreSQL refuses NUL)."""
    if "\x00" in app_id:
        raise _not_found(app_id)


@dataclass(frozen=True)
class Created:
    app: OAuthApp
    secret: str | None  # shown once, in the create response only


async def _audit(conn: Any, actor: Actor, app_id: str, action: AuditAction, fields: list[str], at: datetime) -> None:
    await audit.record_audit(
        conn,
        project_id=actor.project_id,
        oauth_app_id=app_id,
        action=action,
        actor_type=actor.kind,
        actor_id=actor.id,
        fields=fields,
        request_id=actor.request_id,
        at=at,
    )


@overload
async def create(db: Database, actor: Actor, body: Any, guard: None = None) -> Created: ...


@overload
async def create(db: Database, actor: Actor, body: Any, guard: idempotency.Guard) -> Created | idempotency.Replayed: ...


async def create(db: Database, actor: Actor, body: Any, guard: idempotency.Guard | None = None) -> Created | idempotency.Replayed:
    """With ``guard`` (an Idempotency-Key), a retry gets the first request's app back (Replayed:
    its wire form, without the secret, which is shown once and stored only as a hash)."""
    scopes.require_write(actor.scopes, "Creating an OAuth app")
    changes = validate_create(body)
    # allowSecretGeneration: true defers the secret to POST /{id}/generate-secret (a public
    # client may never need one); otherwise the secret is generated now and shown once.
    defer_secret = isinstance(body, dict) and body.get("allowSecretGeneration") is True
    secret = None if defer_secret else credentials.generate_secret(credentials.OAUTH_APP_SECRET_PREFIX)
    at = clock.now_to_the_millisecond()
    app = OAuthApp(
        id=ids.random_uuid(),
        project_id=actor.project_id,
        name=changes.values["name"],
        created_at=at,
        updated_at=at,
        secret_hash=credentials.hash_secret(secret) if secret else None,
        allow_secret_generation=defer_secret,
    )
    app = replace(app, **changes.values)

    async def write(conn: AsyncConnection) -> Created:
        await repo.insert_app(conn, app)
        await _audit(conn, actor, app.id, AuditAction.OAUTH_APP_CREATED, list(changes.fields), at)
        return Created(app=app, secret=secret)

    return await idempotency.once(db, actor.project_id, guard, write, lambda created: to_wire(created.app))


async def get(db: Database, actor: Actor, app_id: str) -> OAuthApp:
    scopes.require_read(actor.scopes, "Reading an OAuth app")
    _check_id(app_id)
    app = await cached.client(db, app_id)
    if app is None or app.project_id != actor.project_id:
        raise _not_found(app_id)
    return app


async def query(db: Database, actor: Actor, raw: Any) -> tuple[list[OAuthApp], int, Query]:
    """Entities and an exact total, for the CLI; the API answers with query_page."""
    scopes.require_read(actor.scopes, "Querying OAuth apps")
    parsed = parse_query(raw, repo.QUERY_SPEC)
    async with db.read() as conn:
        apps, total = await repo.query_apps(conn, actor.project_id, parsed)
    return apps, total, parsed


@asynccontextmanager
async def _statement_reads(db: Database) -> AsyncIterator[AsyncConnection]:
    """A connection outside any transaction, for reads that are one statement each (each its own
    consistent snapshot): on PostgreSQL in autocommit, saving the BEGIN and COMMIT round trips;
    on SQLite a statement run through SQLAlchemy begins a read (not write) transaction."""
    async with db.engine.connect() as conn:
        options: dict[str, Any] = {READ_ONLY: True}
        if db.dialect == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        yield await conn.execution_options(**options)


async def query_page(db: Database, actor: Actor, raw: Any) -> tuple[oauth_app_page.Page, Query]:
    """POST /query: the apps already in their wire shape, with a bounded count."""
    scopes.require_read(actor.scopes, "Querying OAuth apps")
    parsed = parse_query(raw, repo.QUERY_SPEC)
    async with _statement_reads(db) as conn:
        page = await oauth_app_page.query_page(conn, actor.project_id, parsed)
    return page, parsed


async def update(db: Database, actor: Actor, app_id: str, body: Any, raw_mask: Any) -> OAuthApp:
    scopes.require_write(actor.scopes, "Updating an OAuth app")
    _check_id(app_id)
    if isinstance(body, dict) and body.get("id") not in (None, app_id):
        raise ValidationFailed([FieldViolation("oAuthApp.id", "must match the id in the path", "MISMATCH")])
    changes = validate_update(body, parse_mask(raw_mask))
    at = clock.now_to_the_millisecond()
    async with db.transaction() as conn:
        if not changes.values:
            app = await repo.get_app(conn, actor.project_id, app_id)
        else:
            app = await repo.update_app(conn, actor.project_id, app_id, {**changes.values, "updated_at": at})
            if app is not None:
                await _audit(conn, actor, app_id, AuditAction.OAUTH_APP_UPDATED, list(changes.fields), at)
    if app is None:
        raise _not_found(app_id)
    return app


async def delete(db: Database, actor: Actor, app_id: str) -> None:
    scopes.require_write(actor.scopes, "Deleting an OAuth app")
    _check_id(app_id)
    at = clock.now_to_the_millisecond()
    async with db.transaction() as conn:
        if not await repo.delete_app(conn, actor.project_id, app_id):
            raise _not_found(app_id)
        await _audit(conn, actor, app_id, AuditAction.OAUTH_APP_DELETED, [], at)


async def generate_secret(db: Database, actor: Actor, app_id: str) -> str:
    scopes.require_write(actor.scopes, "Generating an OAuth app secret")
    _check_id(app_id)
    secret = credentials.generate_secret(credentials.OAUTH_APP_SECRET_PREFIX)
    at = clock.now_to_the_millisecond()
    async with db.transaction() as conn:
        if not await repo.claim_first_secret(conn, actor.project_id, app_id, credentials.hash_secret(secret), at):
            if await repo.get_app(conn, actor.project_id, app_id) is None:
                raise _not_found(app_id)
            raise Conflict(
                "A secret was already generated for this OAuth app; it can be generated only once. Use rotate-secret to replace it.",
                code="SECRET_ALREADY_GENERATED",
            )
        await _audit(conn, actor, app_id, AuditAction.OAUTH_APP_SECRET_GENERATED, ["secret"], at)
    return secret


def secret_not_retrievable(app_id: str) -> DomainError:
    return DomainError(
        "OAuth app secrets are stored only as hashes and can't be retrieved; use rotate-secret to issue a new one.",
        code="SECRET_NOT_RETRIEVABLE",
        data={"oAuthAppId": app_id},
    )


async def check_secret_readable(db: Database, actor: Actor, app_id: str) -> None:
    """GET /{id}/secret: answer 404 for unknown apps, and a clear refusal for known ones."""
    await get(db, actor, app_id)
    raise secret_not_retrievable(app_id)


async def rotate_secret(db: Database, actor: Actor, app_id: str, grace_seconds: Any) -> str:
    scopes.require_write(actor.scopes, "Rotating an OAuth app secret")
    _check_id(app_id)
    if grace_seconds is None:
        grace_seconds = 0
    if isinstance(grace_seconds, bool) or not isinstance(grace_seconds, int) or not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise ValidationFailed(
            [FieldViolation("gracePeriodSeconds", f"must be a whole number from 0 to {MAX_GRACE_SECONDS}", "OUT_OF_RANGE")]
        )
    secret = credentials.generate_secret(credentials.OAUTH_APP_SECRET_PREFIX)
    at = clock.now_to_the_millisecond()
    until = at + timedelta(seconds=grace_seconds) if grace_seconds else None
    async with db.transaction() as conn:
        if not await repo.rotate_secret(conn, actor.project_id, app_id, credentials.hash_secret(secret), until, at):
            if await repo.get_app(conn, actor.project_id, app_id) is None:
                raise _not_found(app_id)
            raise Conflict("This OAuth app has no secret yet; use generate-secret first.", code="SECRET_NOT_GENERATED")
        await _audit(conn, actor, app_id, AuditAction.OAUTH_APP_SECRET_ROTATED, ["secret"], at)
    return secret


def matching_secret_hash(app: OAuthApp, presented: str, at: datetime | None = None) -> str | None:
    """The stored hash ``presented`` matches: the current secret, or the previous one while its
    grace period lasts; None when neither."""
    accepted = app.accepted_secret_hashes(at or clock.now_to_the_millisecond())
    return next((stored for stored in accepted if credentials.secret_matches(presented, stored)), None)


def client_secret_matches(app: OAuthApp, presented: str, at: datetime | None = None) -> bool:
    """The current secret, or the previous one while its grace period lasts."""
    return matching_secret_hash(app, presented, at) is not None
