"""Email verification at sign-in: when the project requires it, a member who has not verified her
email gets a six-digit code by mail and a ``stateToken``; typing the code (``verify``) marks her
email verified. Every code mail counts against the attempt limits (per address and per member),
every guess against the address, and each code locks after MAX_WRONG_CODES wrong tries.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock
from ..domain import credentials
from ..domain.account_recovery import (
    CODE_DIGITS,
    CODE_LIFETIME,
    MAX_WRONG_CODES,
    STATE_LIFETIME,
    STATE_TOKEN_PREFIX,
    RecoveryError,
    code_hash,
    code_matches,
    is_code_format,
    is_token_shape,
)
from ..domain.attempt_limits import AttemptAction, AttemptLimits
from ..domain.errors import DomainError, FieldViolation, ValidationFailed
from ..domain.mail import MailTemplate
from ..store import email_verifications as repo
from ..store import members as member_repo
from ..store import tenancy
from ..store.database import Database
from ..store.members import MemberProfile
from . import attempt_limits
from .mail import enqueue_mail

CODE_MINUTES = int(CODE_LIFETIME.total_seconds() // 60)


async def required_for(db: Database, member: MemberProfile) -> bool:
    """Whether this member must type a code before she gets a session."""
    if member.email_verified:
        return False
    async with db.read() as conn:
        return await tenancy.requires_email_verification(conn, member.project_id)


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


async def start(db: Database, limits: AttemptLimits, oauth_app_id: str, member: MemberProfile, client_address: str) -> str:
    """Mail a new code to the member and return the stateToken it belongs to (her earlier
    verification, if any, ends). Raises TooManyRequests when she asked for too many codes."""
    await attempt_limits.reserve(db, limits, AttemptAction.VERIFY_SEND, member.project_id, client_address, account=member.id)
    state = credentials.generate_secret(STATE_TOKEN_PREFIX)
    code, at = _new_code(), clock.now()
    async with db.transaction() as conn:
        await repo.start(
            conn,
            state_hash=credentials.hash_secret(state),
            project_id=member.project_id,
            member_id=member.id,
            oauth_app_id=oauth_app_id,
            code_hash=code_hash(state, code),
            at=at,
            code_expires_at=at + CODE_LIFETIME,
            expires_at=at + STATE_LIFETIME,
        )
        await enqueue_mail(conn, member.project_id, member.email, MailTemplate.EMAIL_VERIFICATION, {"code": code, "minutes": CODE_MINUTES})
    return state


def state_invalid() -> DomainError:
    return DomainError("This verification is unknown, finished or expired; sign in again for a new code", code=RecoveryError.STATE_INVALID)


def _check_state(state_token: object) -> str:
    if not is_token_shape(state_token, STATE_TOKEN_PREFIX):
        raise state_invalid()
    return str(state_token)


async def resend(db: Database, limits: AttemptLimits, project_id: str, oauth_app_id: str, state_token: object, client_address: str) -> None:
    """A new code for the same stateToken (the old code stops working, and the wrong tries start
    again from zero): counted like every code mail."""
    state = _check_state(state_token)
    state_hash = credentials.hash_secret(state)
    async with db.read() as conn:
        found = await repo.get(conn, state_hash)
    if found is None or found.project_id != project_id or found.oauth_app_id != oauth_app_id or found.expires_at <= clock.now():
        raise state_invalid()
    await attempt_limits.reserve(db, limits, AttemptAction.VERIFY_SEND, project_id, client_address, account=found.member_id)
    code, at = _new_code(), clock.now()
    async with db.transaction() as conn:
        current = await repo.get(conn, state_hash, lock=True)
        member = await member_repo.get_member(conn, project_id, found.member_id) if current is not None else None
        if current is None or member is None:
            raise state_invalid()
        await repo.new_code(conn, state_hash, code_hash(state, code), at + CODE_LIFETIME)
        await enqueue_mail(conn, project_id, member.email, MailTemplate.EMAIL_VERIFICATION, {"code": code, "minutes": CODE_MINUTES})


@dataclass(frozen=True)
class _Outcome:
    member_id: str | None = None
    error: DomainError | None = None


async def verify(
    db: Database, limits: AttemptLimits, project_id: str, oauth_app_id: str, state_token: object, code: object, client_address: str
) -> str:
    """The verified member's id. A wrong code counts against the code (it locks after
    MAX_WRONG_CODES) and against the client's address; nothing else changes on any error."""
    state = _check_state(state_token)
    if not is_code_format(code):
        raise ValidationFailed([FieldViolation("code", f"must be the {CODE_DIGITS}-digit code from the mail", "FORMAT")])
    reservation = await attempt_limits.reserve(db, limits, AttemptAction.VERIFY_CODE, project_id, client_address)
    state_hash, at = credentials.hash_secret(state), clock.now()
    async with db.transaction() as conn:
        outcome = await _check_code(conn, state, state_hash, str(code), project_id, oauth_app_id, at)
    if outcome.member_id is None:
        raise outcome.error or state_invalid()
    await attempt_limits.succeeded(db, reservation)
    return outcome.member_id


async def _check_code(
    conn: AsyncConnection, state: str, state_hash: str, code: str, project_id: str, oauth_app_id: str, at: datetime
) -> _Outcome:
    found = await repo.get(conn, state_hash, lock=True)
    if found is None or found.project_id != project_id or found.oauth_app_id != oauth_app_id or found.expires_at <= at:
        return _Outcome(error=state_invalid())
    if found.wrong_codes >= MAX_WRONG_CODES:
        return _Outcome(error=DomainError("Too many wrong codes; request a new code", code=RecoveryError.CODE_LOCKED))
    if found.code_expires_at <= at:
        return _Outcome(error=DomainError("The code expired; request a new code", code=RecoveryError.CODE_EXPIRED))
    if not code_matches(state, code, found.code_hash):
        await repo.count_wrong(conn, state_hash)
        left = MAX_WRONG_CODES - found.wrong_codes - 1
        return _Outcome(error=DomainError("Wrong verification code", code=RecoveryError.CODE_INVALID, data={"triesLeft": left}))
    if not await repo.finish(conn, state_hash) or not await member_repo.mark_email_verified(conn, project_id, found.member_id):
        return _Outcome(error=state_invalid())
    return _Outcome(member_id=found.member_id)
