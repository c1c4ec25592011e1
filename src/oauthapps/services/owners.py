"""Console owners: created by the operator (CLI, ``serve --demo``), signed in with email and
password (argon2id, the members' hasher; every attempt counted by the attempt limits first), and
kept signed in by a session token whose hash alone is stored."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .. import clock
from ..domain import credentials
from ..domain.attempt_limits import AttemptAction, AttemptLimits
from ..domain.errors import FieldViolation, NotFound, Unauthenticated, ValidationFailed
from ..domain.owners import ABSOLUTE_TIMEOUT, OwnerRole, SessionTimes, needs_touch, session_live
from ..domain.roles import CallerRole
from ..domain.scopes import AUDIT_LOG_READ, KNOWN_SCOPES, OAUTH_APP_READ
from ..store import owners as repo
from ..store import tenancy as tenancy_repo
from ..store.database import Database
from ..store.owners import Membership, Owner
from . import attempt_limits
from .actor import Actor, ActorKind
from .callers import Caller
from .member_accounts import DUMMY_HASH, check_email, check_password, hash_password, normalise_email, verify_password

# Attempt-limit keys are per project; console sign-in is for the whole server.
CONSOLE_LIMIT_SCOPE = "console"
DEMO_OWNER_EMAIL = "owner@demo.example"
SESSION_TOKEN_PREFIX = "ocs_"
VIEWER_SCOPES = frozenset({OAUTH_APP_READ, AUDIT_LOG_READ})


@dataclass(frozen=True)
class SignedIn:
    owner: Owner
    session_token: str  # goes into the cookie only; the database has its hash


async def create_owner(db: Database, project_id: str, email: str, password: str, role: OwnerRole) -> tuple[str, bool]:
    """The owner's id, and whether the account is new. An existing email gets the project added
    (or its role there changed); its password stays as it was."""
    address = normalise_email(email)
    check_email(address, "email")
    secret = check_password(password, "password")
    async with db.read() as conn:
        if await tenancy_repo.get_project(conn, project_id) is None:
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
    password_hash = await hash_password(secret)
    async with db.transaction() as conn:
        owner = await repo.find_by_email(conn, address)
        created = owner is None
        if owner is None:
            owner = await repo.insert_owner(conn, address, password_hash, clock.now())
        await repo.set_membership(conn, owner.id, project_id, role)
    return owner.id, created


async def demo_owner(db: Database, project_id: str) -> tuple[str, str]:
    """The demo project's owner with a fresh password on each start (only its hash is stored)."""
    password = secrets.token_urlsafe(12)
    password_hash = await hash_password(password)
    async with db.transaction() as conn:
        owner = await repo.find_by_email(conn, DEMO_OWNER_EMAIL)
        if owner is None:
            owner = await repo.insert_owner(conn, DEMO_OWNER_EMAIL, password_hash, clock.now())
        else:
            await repo.set_password(conn, owner.id, password_hash)
        await repo.set_membership(conn, owner.id, project_id, OwnerRole.OWNER)
    return DEMO_OWNER_EMAIL, password


async def sign_in(db: Database, limits: AttemptLimits, email: object, password: object, client_address: str) -> SignedIn:
    """A new session, or Unauthenticated (the same for an unknown email and a wrong password) or
    TooManyRequests. The attempt is counted before the password is checked."""
    address = normalise_email(email)
    if len(address) > 320:
        raise ValidationFailed([FieldViolation("email", "must be a valid email address", "FORMAT")])
    reservation = await attempt_limits.reserve(
        db, limits, AttemptAction.CONSOLE_SIGN_IN, CONSOLE_LIMIT_SCOPE, client_address, account=address
    )
    async with db.read() as conn:
        owner = await repo.find_by_email(conn, address) if address else None
    presented = password if isinstance(password, str) and len(password) <= 1024 else ""
    ok = await verify_password(owner.password_hash if owner else DUMMY_HASH, presented)
    if owner is None or not ok:
        raise Unauthenticated("Wrong email or password", code="WRONG_EMAIL_OR_PASSWORD")
    await attempt_limits.succeeded(db, reservation)
    token = credentials.generate_secret(SESSION_TOKEN_PREFIX)
    now = clock.now()
    async with db.transaction() as conn:
        await repo.end_expired_sessions(conn, owner.id, now)
        await repo.create_session(conn, credentials.hash_secret(token), owner.id, SessionTimes(now, now, now + ABSOLUTE_TIMEOUT))
    return SignedIn(owner, token)


async def session_owner(db: Database, token: str | None) -> Owner | None:
    """The signed-in owner, or None when the session is unknown, idle too long or too old."""
    if not token or len(token) > 128:
        return None
    token_hash = credentials.hash_secret(token)
    now = clock.now()
    async with db.read() as conn:
        session = await repo.find_session(conn, token_hash)
        owner = await repo.get(conn, session.owner_id) if session else None
    if session is None or owner is None:
        return None
    if not session_live(session.times, now):
        async with db.transaction() as conn:
            await repo.end_session(conn, token_hash)
        return None
    if needs_touch(session.times, now):
        async with db.transaction() as conn:
            await repo.touch_session(conn, token_hash, now)
    return owner


async def sign_out(db: Database, token: str | None) -> None:
    if token and len(token) <= 128:
        async with db.transaction() as conn:
            await repo.end_session(conn, credentials.hash_secret(token))


async def projects_of(db: Database, owner: Owner) -> list[Membership]:
    async with db.read() as conn:
        return await repo.memberships(conn, owner.id)


async def project_of(db: Database, owner: Owner, project_id: str) -> Membership:
    """The owner's role in the project; NotFound for a project that is not theirs (or none)."""
    async with db.read() as conn:
        found = await repo.membership(conn, owner.id, project_id[:64])
    if found is None:
        raise NotFound("Project not found", code="PROJECT_NOT_FOUND")
    return found


def actor_for(owner: Owner, membership: Membership, request_id: str | None) -> Actor:
    """The owner as the OAuth apps service sees them: a viewer holds read scopes only, so the
    services refuse their writes as well as the console does."""
    granted = frozenset(KNOWN_SCOPES) if membership.role.can_change else VIEWER_SCOPES
    return Actor(membership.project_id, granted, ActorKind.CONSOLE, owner.id, request_id)


def data_caller_for(owner: Owner, membership: Membership) -> Caller:
    """The owner as the data service sees them: an admin of the project, the items they insert
    owned by their owner id. A viewer's writes are refused by the console before this is used."""
    return Caller(membership.project_id, CallerRole.ADMIN, owner.id)
