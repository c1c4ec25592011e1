"""Minting the token response for a grant: an access token, and a refresh token when asked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain import credentials
from ..runtime import Runtime
from ..store import grants
from ..store.grants import Grant
from .subjects import TOKEN_KIND_OF_GRANT

REFRESH_TOKEN_LIFETIME = timedelta(days=30)


async def new_refresh_token(conn: AsyncConnection, grant: Grant, at: datetime) -> str:
    token = credentials.generate_secret(credentials.REFRESH_TOKEN_PREFIX)
    await grants.add_refresh_token(conn, grant.id, credentials.hash_secret(token), at, at + REFRESH_TOKEN_LIFETIME)
    return token


def access_token_for(runtime: Runtime, grant: Grant) -> dict[str, Any]:
    lifetime = runtime.settings.access_token_seconds
    token, _ = runtime.tokens.mint(
        kind=TOKEN_KIND_OF_GRANT[grant.subject_type],
        subject=grant.subject_id,
        project_id=grant.project_id,
        client_id=grant.oauth_app_id,
        grant_id=grant.id,
        lifetime=lifetime,
        scopes=("offline_access",),
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
