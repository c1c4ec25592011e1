"""Wix token-info: what an access token stands for, asked by whoever holds it."""

from __future__ import annotations

from typing import Any

from ..runtime import Runtime
from ..tokens.access import AccessClaims
from ..tokens.check import check_access_token
from .params import require
from .subjects import subject_type


def describe(claims: AccessClaims) -> dict[str, Any]:
    """The Wix token-info shape of a live access token."""
    info: dict[str, Any] = {
        "active": True,
        "subjectType": subject_type(claims.kind),
        "subjectId": claims.subject,
        "clientId": claims.client_id,
        "siteId": claims.project_id,
        "exp": claims.expires_at,
        "iat": claims.issued_at,
    }
    if claims.instance_id:
        info["instanceId"] = claims.instance_id
    return info


async def token_info(params: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    """Possession of the token is the authorisation to ask about it, so no client is checked."""
    claims = await check_access_token(runtime.tokens, runtime.db, require(params, "token"))
    return describe(claims) if claims else {"active": False}
