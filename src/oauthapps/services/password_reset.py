"""Password reset by mail (``sendPasswordResetEmail``): a single-use link, valid for at most an hour
and bound to the project, the member and the OAuth app it was asked through, to the hosted page
where she sets a new password. Setting it ends every sign-in she had (sessions, refresh tokens and
grants, and through the change log her access tokens on every node).

No answer tells whether an email belongs to a member: a request for an unknown address is
answered the same, after the same work (the limits, the lookup, the token and the rendered
mail), only nothing is stored or sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from .. import clock
from ..domain import credentials
from ..domain.account_recovery import RESET_LIFETIME, RESET_TOKEN_PREFIX, is_token_shape
from ..domain.attempt_limits import AttemptAction, AttemptLimits
from ..domain.errors import DomainError, FieldViolation, ValidationFailed
from ..domain.mail import MailTemplate
from ..domain.members import MemberStatus
from ..domain.oauth_app import OAuthApp
from ..domain.urls import MAX_URL_LENGTH
from ..mail.render import render
from ..store import members as member_repo
from ..store import one_time
from ..store.database import Database
from ..store.one_time import OneTimePurpose
from . import attempt_limits, hosted_login, member_accounts
from .mail import enqueue_mail

RESET_PATH = "/oauth2/reset-password"
RESET_LINK_INVALID = "RESET_LINK_INVALID"
RESET_MINUTES = int(RESET_LIFETIME.total_seconds() // 60)


def _check_redirect(redirect_uri: object) -> str | None:
    """Kept as asked (bounded); whether it is approved is decided when the password is set."""
    if redirect_uri is None or redirect_uri == "":
        return None
    if not isinstance(redirect_uri, str) or len(redirect_uri) > MAX_URL_LENGTH:
        raise ValidationFailed([FieldViolation("redirect.url", f"must be a URL of at most {MAX_URL_LENGTH} characters", "FORMAT")])
    return redirect_uri


def reset_link(base_url: str, client_id: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{RESET_PATH}?" + urlencode({"client_id": client_id, "token": token})


async def request_reset(
    db: Database, limits: AttemptLimits, app: OAuthApp, email: object, redirect_uri: object, client_address: str, base_url: str
) -> None:
    """Mail a reset link if ``email`` is a member's; the same outcome (and the same limits) if not."""
    address = member_accounts.normalise_email(email)
    member_accounts.check_email(address, "email")
    redirect = _check_redirect(redirect_uri)
    await attempt_limits.reserve(db, limits, AttemptAction.RESET_REQUEST, app.project_id, client_address, account=address)
    token = credentials.generate_secret(RESET_TOKEN_PREFIX)
    params = {"link": reset_link(base_url, app.id, token), "minutes": RESET_MINUTES}
    at = clock.now()
    async with db.transaction() as conn:
        member = await member_repo.find_by_email(conn, app.project_id, address)
        if member is None or member.status == MemberStatus.BLOCKED:
            render(MailTemplate.PASSWORD_RESET, {**params, "sender_name": app.name, "to": address})  # the same work
            return
        await one_time.put(
            conn,
            token_hash=credentials.hash_secret(token),
            purpose=OneTimePurpose.PASSWORD_RESET,
            project_id=app.project_id,
            oauth_app_id=app.id,
            member_id=member.id,
            data={"redirect_uri": redirect},
            at=at,
            expires_at=at + RESET_LIFETIME,
        )
        await enqueue_mail(conn, app.project_id, member.email, MailTemplate.PASSWORD_RESET, params)


@dataclass(frozen=True)
class ResetLink:
    """An open reset link: whose password it sets, and where to go afterwards (if approved)."""

    app: OAuthApp
    member_id: str
    redirect_uri: str | None


class ResetLinkInvalid(DomainError):
    code = RESET_LINK_INVALID


async def open_link(db: Database, client_id: object, token: object) -> ResetLink:
    """The link's member, or ResetLinkInvalid: unknown, tampered, used, expired, or named with
    another OAuth app (and so another project) than the one it was mailed for."""
    invalid = ResetLinkInvalid("This password reset link is invalid, expired or already used")
    if not is_token_shape(token, RESET_TOKEN_PREFIX) or not isinstance(client_id, str):
        raise invalid
    app = await hosted_login.load_client(db, client_id)
    if app is None:
        raise invalid
    async with db.read() as conn:
        record = await one_time.get(conn, credentials.hash_secret(str(token)), OneTimePurpose.PASSWORD_RESET)
    if (
        record is None
        or record.used_at is not None
        or record.expires_at <= clock.now()
        or record.oauth_app_id != app.id
        or record.project_id != app.project_id
        or record.member_id is None
    ):
        raise invalid
    redirect = record.data.get("redirect_uri")
    return ResetLink(app, record.member_id, redirect if isinstance(redirect, str) else None)


async def complete(db: Database, client_id: object, token: object, password: object, confirmation: object) -> ResetLink:
    """Set the new password (checked like at sign-up) and use the link up; a bad password leaves
    the link open, a used or expired link changes nothing."""
    link = await open_link(db, client_id, token)
    secret = member_accounts.check_password(password, "password")
    if confirmation != secret:
        raise ValidationFailed([FieldViolation("passwordConfirmation", "does not match the password", "MATCH")])
    password_hash = await member_accounts.hash_password(secret)
    async with db.transaction() as conn:
        if not await one_time.consume(conn, credentials.hash_secret(str(token)), clock.now()):
            raise ResetLinkInvalid("This password reset link is invalid, expired or already used")
        if not await member_repo.set_password(conn, link.app.project_id, link.member_id, password_hash):
            raise ResetLinkInvalid("This password reset link is invalid, expired or already used")
        await one_time.delete_for_member(conn, link.member_id, OneTimePurpose.PASSWORD_RESET)
    return link


def redirect_after(link: ResetLink) -> str | None:
    """The redirect asked for, only if the OAuth app (as loaded now) approves it for login."""
    if link.redirect_uri and hosted_login.login_redirect_approved(link.app, link.redirect_uri):
        return link.redirect_uri
    return None
