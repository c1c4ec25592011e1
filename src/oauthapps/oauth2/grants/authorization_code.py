"""``authorization_code`` (RFC 6749 4.1.3) with PKCE S256 (RFC 7636) required.

A code is single-use, lives 60 s, and is bound to its client, redirect URI, PKCE challenge and
member (a ``web_message`` code may be redeemed without the redirect URI, as the Wix SDK does). Redeeming it twice fails and revokes every token issued from it (RFC 6749 4.1.2).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ... import clock, ids
from ...domain import credentials, pkce
from ...domain.authorize_request import token_redirect_uri_matches
from ...runtime import Runtime
from ...store import grants, members, one_time
from ...store.grants import GrantSubject
from ...store.one_time import OneTimePurpose
from ..clients import authenticate_client
from ..errors import OAuth2Error, invalid_grant, invalid_request, member_cut_off
from ..issue import access_token_for, new_refresh_token
from ..params import require


async def _may_sign_in(conn: AsyncConnection, project_id: str, member_id: str) -> bool:
    """Read in the redeeming transaction: a code issued before a block gives no tokens after it."""
    member = await members.get_member(conn, project_id, member_id)
    return member is not None and member.may_sign_in


async def grant(params: dict[str, str], runtime: Runtime, _client_address: str) -> dict[str, Any]:
    app = await authenticate_client(params, runtime)
    code = require(params, "code")
    verifier = params.get("code_verifier")
    if not verifier:
        raise invalid_request("Missing parameter 'codeVerifier' (PKCE is required)")
    redirect_uri = params.get("redirect_uri")
    code_hash = credentials.hash_secret(code)
    at = clock.now()
    failure: OAuth2Error | None = None
    response: dict[str, Any] = {}
    async with runtime.db.transaction() as conn:
        record = await one_time.get(conn, code_hash, OneTimePurpose.CODE)
        if record is None or record.oauth_app_id != app.id:
            failure = invalid_grant("The authorization code is invalid")
        elif record.used_at is not None:
            if record.grant_id:
                await grants.revoke_grant(conn, record.grant_id, at)
            failure = invalid_grant("The authorization code was already used; tokens issued from it are revoked")
        elif record.expires_at <= at:
            failure = invalid_grant("The authorization code has expired")
        elif not token_redirect_uri_matches(redirect_uri, record.data.get("redirect_uri"), record.data.get("response_mode")):
            failure = invalid_grant("redirectUri does not match the one the code was issued for")
        elif not pkce.verifier_matches(verifier, record.data["code_challenge"]):
            failure = invalid_grant("The PKCE code verifier does not match the challenge")
        elif record.member_id is None:
            failure = invalid_grant("The authorization code is invalid")
        elif not await _may_sign_in(conn, app.project_id, record.member_id):
            failure = member_cut_off()
        else:
            grant_id = ids.random_uuid()
            # Consume first: of two concurrent redemptions exactly one gets past this line.
            if not await one_time.consume(conn, code_hash, at, grant_id=grant_id):
                failure = invalid_grant("The authorization code was already used")
            else:
                member_grant = await grants.create_grant(
                    conn,
                    project_id=app.project_id,
                    oauth_app_id=app.id,
                    subject_type=GrantSubject.MEMBER,
                    subject_id=record.member_id,
                    member_id=record.member_id,
                    at=at,
                    grant_id=grant_id,
                )
                refresh = await new_refresh_token(conn, member_grant, at)
                response = {**access_token_for(runtime, member_grant), "refresh_token": refresh}
    # A replay's revocation above is committed before the error goes out.
    if failure is not None:
        raise failure
    return response
