"""``refresh_token`` (RFC 6749 6): a new access token for the same visitor or member.

By default the refresh token stays the same (the Wix SDK keeps using the one it has). An OAuth
app may turn on rotation: each use returns a new refresh token, and presenting a rotated-out one
again revokes the whole grant (reuse detection, RFC 9700 4.14.2).
"""

from __future__ import annotations

from typing import Any

from ... import clock
from ...domain import credentials
from ...runtime import Runtime
from ...services import hosted_login
from ...store import cached, grants
from ..clients import authenticate_client
from ..errors import OAuth2Error, invalid_grant, member_cut_off
from ..issue import access_token_for, new_refresh_token
from ..params import require


async def grant(params: dict[str, str], runtime: Runtime, _client_address: str) -> dict[str, Any]:
    app = await authenticate_client(params, runtime)
    presented = require(params, "refresh_token")
    token_hash = credentials.hash_secret(presented)
    at = clock.now()
    # Without rotation a refresh only reads, and from this process's caches (store/cached.py):
    # the grant is evicted everywhere when it is revoked or deleted, so the checks below see that.
    record = await cached.refresh_token(runtime.db, token_hash)
    if record is None or record.grant.oauth_app_id != app.id:
        raise invalid_grant("The refresh token is invalid")
    if record.grant.revoked_at is not None:
        raise invalid_grant("The refresh token was revoked")
    if record.expires_at <= at:
        raise invalid_grant("The refresh token has expired")
    # Blocking revokes the member's grants; this also covers a refresh racing with the block.
    if record.grant.member_id is not None and not await hosted_login.may_sign_in(
        runtime.db, record.grant.project_id, record.grant.member_id
    ):
        raise member_cut_off()
    if not app.refresh_token_rotation:
        return {**access_token_for(runtime, record.grant), "refresh_token": presented}
    failure: OAuth2Error | None = None
    response: dict[str, Any] = {}
    async with runtime.db.transaction() as conn:
        if record.rotated_at is not None or not await grants.mark_rotated(conn, token_hash, at):
            await grants.revoke_grant(conn, record.grant.id, at)
            failure = invalid_grant("The refresh token was already used; the grant is revoked")
        else:
            new_token = await new_refresh_token(conn, record.grant, at)
            response = {**access_token_for(runtime, record.grant), "refresh_token": new_token}
    # A reuse's revocation above is committed before the error goes out.
    if failure is not None:
        raise failure
    return response
