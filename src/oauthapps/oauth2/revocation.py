"""Token revocation (RFC 7009)."""

from __future__ import annotations

from typing import Any

from .. import clock
from ..domain import credentials
from ..runtime import Runtime
from ..store import grants
from .clients import authenticate_client
from .params import require


async def revoke(params: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    """Revoking an access or refresh token revokes its whole grant. Unknown tokens, and tokens of
    other clients, are answered 200 as RFC 7009 asks, and left alone; the answer is always empty."""
    app = await authenticate_client(params, runtime)
    value = require(params, "token")
    at = clock.now()
    claims = await runtime.tokens.verify(value)
    async with runtime.db.transaction() as conn:
        if claims is not None:
            if claims.grant_id and claims.client_id == app.id:
                await grants.revoke_grant(conn, claims.grant_id, at)
        else:
            record = await grants.find_refresh_token(conn, credentials.hash_secret(value))
            if record is not None and record.grant.oauth_app_id == app.id:
                await grants.revoke_grant(conn, record.grant.id, at)
    return {}
