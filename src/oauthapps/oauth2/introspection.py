"""Token introspection (RFC 7662) for resource servers: the caller authenticates as an OAuth app
(with its secret) and learns about tokens of its own project only; any other token is inactive."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import clock
from ..domain import credentials
from ..runtime import Runtime
from ..store import grants
from ..store.grants import RefreshRecord
from ..tokens.access import AccessClaims
from ..tokens.check import check_access_token
from .clients import authenticate_client
from .params import require
from .subjects import grant_subject_type, subject_type


def _access_token(claims: AccessClaims, project_id: str, issuer: str) -> dict[str, Any]:
    if claims.project_id != project_id:
        return {"active": False}
    result: dict[str, Any] = {
        "active": True,
        "token_type": "Bearer",
        "client_id": claims.client_id,
        "sub": claims.subject,
        "exp": claims.expires_at,
        "iat": claims.issued_at,
        "iss": issuer,
        "aud": claims.project_id,
        "jti": claims.token_id,
        "subject_type": subject_type(claims.kind),
    }
    if claims.scopes:
        result["scope"] = " ".join(claims.scopes)
    return result


def _refresh_token(record: RefreshRecord | None, project_id: str, issuer: str, at: datetime) -> dict[str, Any]:
    """Active while its grant stands, it has not expired and it was not rotated out."""
    if (
        record is None
        or record.grant.project_id != project_id
        or record.grant.revoked_at is not None
        or record.expires_at <= at
        or record.rotated_at is not None
    ):
        return {"active": False}
    return {
        "active": True,
        "token_type": "refresh_token",
        "client_id": record.grant.oauth_app_id,
        "sub": record.grant.subject_id,
        "exp": int(record.expires_at.timestamp()),
        "iss": issuer,
        "subject_type": grant_subject_type(record.grant.subject_type),
    }


async def introspect(params: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    caller = await authenticate_client(params, runtime, secret_required=True)
    value = require(params, "token")
    issuer = runtime.settings.issuer
    claims = await check_access_token(runtime.tokens, runtime.db, value)
    if claims is not None:
        return _access_token(claims, caller.project_id, issuer)
    async with runtime.db.transaction() as conn:
        record = await grants.find_refresh_token(conn, credentials.hash_secret(value))
    return _refresh_token(record, caller.project_id, issuer, clock.now())
