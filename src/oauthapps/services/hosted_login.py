"""The browser side of Headless OAuth: authorization codes, member sessions, login tickets.

Codes live 60 s and are single-use; login tickets (the ``sessionToken`` the identity API returns)
live 5 minutes, are single-use and yield a code, never a session (http/authorize.py says why);
member sessions, started only by signing in on the hosted page, live 14 days. All are stored as hashes and are
bound to the OAuth app they were created through, so deleting the app kills them (cascade).
"""

from __future__ import annotations

from datetime import timedelta

from .. import clock
from ..domain import credentials
from ..domain.authorize_request import AuthorizeRequest
from ..domain.oauth_app import OAuthApp
from ..domain.redirect_policy import is_approved_login_redirect
from ..store import cached, one_time, sessions
from ..store import members as member_repo
from ..store.database import Database
from ..store.members import Member
from ..store.one_time import OneTimePurpose

CODE_LIFETIME = timedelta(seconds=60)
TICKET_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(days=14)
SESSION_TOKEN_PREFIX = "oam_"
TICKET_PREFIX = "oat_"


async def load_client(db: Database, client_id: str | None) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    return await cached.client(db, client_id)


def login_redirect_approved(app: OAuthApp, redirect_uri: str | None) -> bool:
    """Read from the app as loaded for this request, so list changes apply at once."""
    return bool(redirect_uri) and is_approved_login_redirect(
        redirect_uri or "", app.allowed_redirect_uris, app.allowed_redirect_domains, require_exact=app.require_exact_redirect_uri
    )


async def issue_code(db: Database, app: OAuthApp, member_id: str, request: AuthorizeRequest, lifetime: timedelta = CODE_LIFETIME) -> str:
    code = credentials.generate_secret(credentials.CODE_PREFIX)
    at = clock.now()
    async with db.transaction() as conn:
        await one_time.put(
            conn,
            token_hash=credentials.hash_secret(code),
            purpose=OneTimePurpose.CODE,
            project_id=app.project_id,
            oauth_app_id=app.id,
            member_id=member_id,
            data={
                "redirect_uri": request.redirect_uri,
                "code_challenge": request.code_challenge,
                "response_mode": request.response_mode,
            },
            at=at,
            expires_at=at + min(lifetime, CODE_LIFETIME),
        )
        await one_time.purge_expired(conn, at - timedelta(hours=1))
    return code


async def start_session(db: Database, app: OAuthApp, member_id: str) -> str:
    token = credentials.generate_secret(SESSION_TOKEN_PREFIX)
    at = clock.now()
    async with db.transaction() as conn:
        await sessions.create(
            conn,
            token_hash=credentials.hash_secret(token),
            project_id=app.project_id,
            member_id=member_id,
            oauth_app_id=app.id,
            at=at,
            expires_at=at + SESSION_LIFETIME,
        )
    return token


async def session_member(db: Database, token: str | None, project_id: str) -> Member | None:
    if not token or len(token) > 256:
        return None
    async with db.read() as conn:
        found = await sessions.find(conn, credentials.hash_secret(token))
        if found is None or found.project_id != project_id or found.expires_at <= clock.now():
            return None
        member = await member_repo.get_member(conn, project_id, found.member_id)
    return member if member is not None and member.may_sign_in else None


async def may_sign_in(db: Database, project_id: str, member_id: str) -> bool:
    """Only an approved member gets a code or tokens (a pending or blocked one never does)."""
    member = await cached.member(db, project_id, member_id)
    return member is not None and member.may_sign_in


async def end_session(db: Database, token: str | None) -> None:
    if token and len(token) <= 256:
        async with db.transaction() as conn:
            await sessions.end(conn, credentials.hash_secret(token))


async def issue_ticket(db: Database, app: OAuthApp, member_id: str) -> str:
    ticket = credentials.generate_secret(TICKET_PREFIX)
    at = clock.now()
    async with db.transaction() as conn:
        await one_time.put(
            conn,
            token_hash=credentials.hash_secret(ticket),
            purpose=OneTimePurpose.LOGIN_TICKET,
            project_id=app.project_id,
            oauth_app_id=app.id,
            member_id=member_id,
            data={},
            at=at,
            expires_at=at + TICKET_LIFETIME,
        )
    return ticket


async def redeem_ticket(db: Database, app: OAuthApp, ticket: str) -> str | None:
    """The member the ticket signs in, once; None if it is unknown, used, expired or another app's."""
    ticket_hash = credentials.hash_secret(ticket)
    at = clock.now()
    async with db.transaction() as conn:
        record = await one_time.get(conn, ticket_hash, OneTimePurpose.LOGIN_TICKET)
        if record is None or record.oauth_app_id != app.id or record.expires_at <= at or record.member_id is None:
            return None
        if not await one_time.consume(conn, ticket_hash, at):
            return None
        return record.member_id
