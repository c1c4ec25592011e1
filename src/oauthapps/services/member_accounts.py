"""Members: sign-up and sign-in with argon2id passwords and login rate limiting.

argon2id with the OWASP minimum profile (t=2, m=19 MiB, p=1, ~15 ms here): human passwords need
a slow hash; generated secrets do not (domain/credentials.py). Hashing runs on a thread so a login
never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..domain.errors import Conflict, FieldViolation, NotFound, PermissionDenied, TooManyRequests, Unauthenticated, ValidationFailed
from ..domain.members import MemberStatus, ProfileChange
from ..store import members as repo
from ..store import rate_limits, tenancy
from ..store.database import Database
from ..store.members import Member, MemberProfile

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("not-a-real-password")
NO_PASSWORD = "!"  # not an argon2 hash: verifying anything against it fails
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 256

LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

# Wix identity error codes the SDK understands (docs/wire-protocol.md#identity-login-and-register).
EMAIL_EXISTS = "-19995"
INVALID_PASSWORD = "-19976"
TOO_MANY_ATTEMPTS = "-19959"
MEMBER_BLOCKED = "MEMBER_BLOCKED"  # ours: the SDK reports it as a FAILURE with this message


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: object) -> str:
    if not isinstance(email, str):
        return ""
    return email.strip().lower()


def _check_email(email: str, field: str) -> None:
    if not _EMAIL_RE.match(email) or len(email) > 320:
        raise ValidationFailed([FieldViolation(field, "must be a valid email address", "FORMAT", {"type": "EMAIL"})])


def _check_password(password: object, field: str) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(
            [FieldViolation(field, f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters", "LENGTH", {"type": "PASSWORD"})]
        )
    return password


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def register(
    db: Database,
    project_id: str,
    email: object,
    password: object,
    nickname: str = "",
    *,
    email_field: str = "loginId.email",
    change: ProfileChange | None = None,
    by_owner: bool = False,
) -> Member:
    """A new member: PENDING when the project requires owner approval and she signed herself up,
    APPROVED when the owner (or an admin) created her."""
    address = normalise_email(email)
    _check_email(address, email_field)
    secret = _check_password(password, "password")
    password_hash = await hash_password(secret)
    async with db.transaction() as conn:
        pending = not by_owner and await tenancy.requires_owner_approval(conn, project_id)
        status = MemberStatus.PENDING if pending else MemberStatus.APPROVED
        member = await repo.insert_member(conn, project_id, address, password_hash, nickname, status, change)
    if member is None:
        raise Conflict("A member with this email already exists", code=EMAIL_EXISTS)
    return member


async def register_without_password(db: Database, project_id: str, email: str, change: ProfileChange, email_field: str) -> Member:
    """An admin's new member (Wix createMember has no password): approved, and no password
    matches until one is set, as the stored hash is not a valid one (``_verify`` says no)."""
    _check_email(email, email_field)
    async with db.transaction() as conn:
        member = await repo.insert_member(conn, project_id, email, NO_PASSWORD, "", MemberStatus.APPROVED, change)
    if member is None:
        raise Conflict("A member with this email already exists", code=EMAIL_EXISTS)
    return member


def require_not_blocked(member: MemberProfile) -> None:
    """A blocked member is told so only after her password was right (no enumeration)."""
    if member.status == MemberStatus.BLOCKED:
        raise PermissionDenied("This account is blocked by the site owner", code=MEMBER_BLOCKED)


@dataclass(frozen=True)
class LoginKeys:
    account: str
    address: str


def _keys(project_id: str, email: str, client_address: str) -> LoginKeys:
    return LoginKeys(f"login:acct:{project_id}:{email}", f"login:addr:{client_address}")


async def authenticate(db: Database, project_id: str, email: object, password: object, client_address: str) -> Member:
    """The member, or Unauthenticated (same answer for unknown email and wrong password, so the
    login form does not reveal who is a member) or TooManyRequests."""
    address = normalise_email(email)
    keys = _keys(project_id, address, client_address)
    at = _now()
    async with db.transaction() as conn:
        if (
            await rate_limits.count(conn, keys.account, LOGIN_WINDOW, at) >= MAX_FAILURES_PER_ACCOUNT
            or await rate_limits.count(conn, keys.address, LOGIN_WINDOW, at) >= MAX_FAILURES_PER_ADDRESS
        ):
            raise TooManyRequests("Too many failed sign-in attempts; try again later", code=TOO_MANY_ATTEMPTS)
        member = await repo.find_by_email(conn, project_id, address) if address else None
    usable = member is not None and member.password_hash != NO_PASSWORD
    ok = await _verify(member.password_hash if member and usable else _DUMMY_HASH, password if isinstance(password, str) else "")
    failed = member is None or not usable or not ok
    async with db.transaction() as conn:
        if failed:
            await rate_limits.hit(conn, keys.account, LOGIN_WINDOW, at)
            await rate_limits.hit(conn, keys.address, LOGIN_WINDOW, at)
        else:
            await rate_limits.clear(conn, keys.account)
    # Raised only after the failure count is committed: raising inside the transaction rolled
    # the counts back, so the limit never triggered.
    if failed or member is None:
        raise Unauthenticated("Wrong email or password", code=INVALID_PASSWORD)
    return member


async def create_member(db: Database, project_id: str, email: str, password: str) -> Member:
    """Owner-side creation (CLI): approved at once."""
    return await register(db, project_id, email, password, by_owner=True)


async def delete_member(db: Database, project_id: str, member_id: str) -> None:
    """Owner-side removal (CLI): the member's tokens stop working at once on every process."""
    async with db.transaction() as conn:
        deleted = await repo.delete_member(conn, project_id, member_id)
    if not deleted:
        raise NotFound("Member not found", code="MEMBER_NOT_FOUND")
