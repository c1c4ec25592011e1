"""Access tokens: short-lived ES256 JWTs (RFC 9068 shape) plus a liveness check at use.

Why JWTs: resource servers can verify them from the JWKS, and minting needs no database write.
Why also a check at use: deleting an OAuth app or an installation must cut its tokens off at
once, so every check in this server also confirms that the token's client still exists.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from .keys import ALGORITHM, SigningKeys

# Token kinds (the "knd" claim) and the subject types token-info reports for them.
APP = "app"  # an installed platform app (client_credentials with instance_id)
ADMIN = "admin"  # an OAuth app's own admin token (client_credentials with its secret)
VISITOR = "visitor"
MEMBER = "member"


@dataclass(frozen=True)
class AccessClaims:
    kind: str
    subject: str
    project_id: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    token_id: str
    instance_id: str | None = None
    grant_id: str | None = None


class TokenIssuer:
    def __init__(self, keys: SigningKeys, issuer: str):
        self.keys = keys
        self.issuer = issuer

    def mint(
        self,
        *,
        kind: str,
        subject: str,
        project_id: str,
        client_id: str,
        lifetime: int,
        scopes: tuple[str, ...] = (),
        instance_id: str | None = None,
        grant_id: str | None = None,
    ) -> tuple[str, AccessClaims]:
        now = int(time.time())
        claims = AccessClaims(
            kind=kind, subject=subject, project_id=project_id, client_id=client_id, scopes=scopes,
            issued_at=now, expires_at=now + lifetime, token_id=uuid.uuid4().hex, instance_id=instance_id,
            grant_id=grant_id,
        )
        payload: dict[str, Any] = {
            "iss": self.issuer, "sub": subject, "aud": project_id, "iat": now, "exp": claims.expires_at,
            "jti": claims.token_id, "client_id": client_id, "knd": kind, "tid": project_id,
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        if instance_id:
            payload["iid"] = instance_id
        if grant_id:
            payload["gid"] = grant_id
        key = self.keys.active
        header = {"alg": ALGORITHM, "kid": key.kid, "typ": "at+jwt"}
        return jwt.encode(header, payload, key.key), claims

    def _decode(self, token: str) -> Any:
        try:
            return jwt.decode(token, self.keys.keyset, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError):
            return None

    async def verify(self, token: str) -> AccessClaims | None:
        """Signature, type, issuer and expiry; None for anything that is not a live token of ours.
        (Whether its client still exists is the caller's check: see tokens/liveness.py.)"""
        if not isinstance(token, str) or token.count(".") != 2 or len(token) > 4096:
            return None
        decoded = self._decode(token)
        if decoded is None:
            # Perhaps signed by a key that was rotated in elsewhere since we loaded ours.
            await self.keys.refresh_if_stale(force=True)
            decoded = self._decode(token)
        if decoded is None or decoded.header.get("typ") != "at+jwt":
            return None
        c = decoded.claims
        try:
            if c.get("iss") != self.issuer or int(c["exp"]) <= time.time():
                return None
            return AccessClaims(
                kind=str(c["knd"]), subject=str(c["sub"]), project_id=str(c["tid"]), client_id=str(c["client_id"]),
                scopes=tuple(str(c.get("scope", "")).split()), issued_at=int(c["iat"]), expires_at=int(c["exp"]),
                token_id=str(c["jti"]), instance_id=c.get("iid"), grant_id=c.get("gid"),
            )
        except (KeyError, TypeError, ValueError):
            return None
