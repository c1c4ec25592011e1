"""The one token check every endpoint shares: signature, expiry, then liveness. Keycloak's
#15195 (a revoked token still accepted by one endpoint) is what sharing it prevents."""

from __future__ import annotations

from ..store.database import Database
from .access import AccessClaims, TokenIssuer
from .liveness import is_live


async def check_access_token(tokens: TokenIssuer, db: Database, token: str | None) -> AccessClaims | None:
    if not token:
        return None
    claims = await tokens.verify(token)
    if claims is None:
        return None
    return claims if await is_live(db, claims) else None
