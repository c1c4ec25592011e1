"""Members: sign-up and sign-in with argon2id passwords, every attempt guarded by the attempt
limits (services/attempt_limits.py) before the password is hashed or checked.

argon2id with the OWASP minimum profile (t=2, m=19 MiB, p=1, ~15 ms here): human passwords need
a slow hash; generated secrets do not (domain/credentials.py). Hashing runs on a thread so a login
never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..domain.attempt_limits import AttemptAction, AttemptLimits
from ..domain.errors import Conflict, FieldViolation, NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from ..domain.members import MemberStatus, ProfileChange
from ..store import members as repo
from ..store import tenancy
from ..store.database import Database
from ..store.members import Member, MemberProfile
from . import attempt_limits

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
DUMMY_HASH = HASHER.hash("not-a-real-password")
NO_PASSWORD = "!"  # not an argon2 hash: verifying anything against it fails
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256

# Wix identity error codes the SDK understands (docs/wire-protocol.md#identity-login-and-register).
EMAIL_EXISTS = "-19995"
INVALID_PASSWORD = "-19976"
TOO_MANY_ATTEMPTS = attempt_limits.TOO_MANY_ATTEMPTS
MEMBER_BLOCKED = "MEMBER_BLOCKED"  # ours: the SDK reports it as a FAILURE with this message


def normalise_email(email: object) -> str:
    if not isinstance(email, str):
        return ""
    return email.strip().lower()


def check_email(email: str, field: str) -> None:
    if not _EMAIL_RE.match(email) or len(email) > 320:
        raise ValidationFailed([FieldViolation(field, "must be a valid email address", "FORMAT", {"type": "EMAIL"})])


def check_password(password: object, field: str) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(
            [FieldViolation(field, f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", "LENGTH", {"type": "PASSWORD"})]
        )
    return password


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def _insert_member(
    db: Database, project_id: str, email: str, password_hash: str, nickname: str, *, change: ProfileChange | None, by_owner: bool
) -> Member:
    """A new member: PENDING when the project requires owner approval and she signed herself up,
    APPROVED when the owner (or an admin) created her."""
    async with db.transaction() as conn:
        pending = not by_owner and await tenancy.requires_owner_approval(conn, project_id)
        status = MemberStatus.PENDING if pending else MemberStatus.APPROVED
        member = await repo.insert_member(conn, project_id, email, password_hash, nickname, status, change)
    if member is None:
        raise Conflict("A member with this email already exists", code=EMAIL_EXISTS)
    return member


def _valid_sign_up(email: object, password: object, email_field: str = "loginId.email") -> tuple[str, str]:
    address = normalise_email(email)
    check_email(address, email_field)
    return address, check_password(password, "password")


async def register(
    db: Database,
    limits: AttemptLimits,
    project_id: str,
    email: object,
    password: object,
    client_address: str,
    nickname: str = "",
    *,
    change: ProfileChange | None = None,
) -> Member:
    """Sign-up by the person themselves. "This email is taken" tells a guesser who is a member,
    so every attempt counts against the address until it succeeds."""
    address, secret = _valid_sign_up(email, password)
    reservation = await attempt_limits.reserve(db, limits, AttemptAction.REGISTER, project_id, client_address)
    password_hash = await hash_password(secret)
    member = await _insert_member(db, project_id, address, password_hash, nickname, change=change, by_owner=False)
    await attempt_limits.succeeded(db, reservation)
    return member


async def register_without_password(db: Database, project_id: str, email: str, change: ProfileChange, email_field: str) -> Member:
    """An admin's new member (Wix createMember has no password): approved, and no password
    matches until one is set, as the stored hash is not a valid one (``verify_password`` says no)."""
    check_email(email, email_field)
    return await _insert_member(db, project_id, email, NO_PASSWORD, "", change=change, by_owner=True)


def require_not_blocked(member: MemberProfile) -> None:
    """A blocked member is told so only after her password was right (no enumeration)."""
    if member.status == MemberStatus.BLOCKED:
        raise PermissionDenied("This account is blocked by the site owner", code=MEMBER_BLOCKED)


async def authenticate(
    db: Database, limits: AttemptLimits, project_id: str, email: object, password: object, client_address: str
) -> Member:
    """The member, or Unauthenticated (same answer for unknown email and wrong password, so the
    login form does not reveal who is a member) or TooManyRequests. The attempt is counted before
    the password is checked, so parallel guesses get no more checks than the limits allow."""
    address = normalise_email(email)
    reservation = await attempt_limits.reserve(db, limits, AttemptAction.LOGIN, project_id, client_address, account=address)
    async with db.read() as conn:
        member = await repo.find_by_email(conn, project_id, address) if address else None
    usable = member is not None and member.password_hash != NO_PASSWORD
    ok = await verify_password(member.password_hash if member and usable else DUMMY_HASH, password if isinstance(password, str) else "")
    if member is None or not usable or not ok:
        raise Unauthenticated("Wrong email or password", code=INVALID_PASSWORD)
    await attempt_limits.succeeded(db, reservation)
    return member


async def create_member(db: Database, project_id: str, email: str, password: str) -> Member:
    """Owner-side creation (CLI): approved at once, and no person guessing, so no attempt limits."""
    address, secret = _valid_sign_up(email, password)
    return await _insert_member(db, project_id, address, await hash_password(secret), "", change=None, by_owner=True)


async def delete_member(db: Database, project_id: str, member_id: str) -> None:
    """Owner-side removal (CLI): the member's tokens stop working at once on every process."""
    async with db.transaction() as conn:
        deleted = await repo.delete_member(conn, project_id, member_id)
    if not deleted:
        raise NotFound("Member not found", code="MEMBER_NOT_FOUND")
