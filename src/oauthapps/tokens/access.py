"""Access tokens: short-lived ES256 JWTs (RFC 9068 shape) plus a liveness check at use.

Why JWTs: resource servers can verify them from the JWKS, and minting needs no database write.
Why also a check at use: deleting an OAuth app or an installation must cut its tokens off at
once, so every check in this server also confirms that the token's client still exists.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import JWSRegistry

from .. import clock, ids
from ..store.caches import Bounded, Budget, CacheBudgets
from .keys import ALGORITHM, SigningKeys, StoredKey

# Tokens this process has verified, so that a client's repeated calls with one token pay the
# ECDSA verification (~70 µs) once. The key is the whole compact token: a hit is the same bytes,
# signature included, so it proves what the first verification proved; expiry is checked on every
# hit, and the cache is emptied when the set of keys changes. Bounded in entries and bytes
# (CacheBudgets.verified_tokens): a token is up to 4 KiB, so the bytes bind first for long ones.


class TokenKind(StrEnum):
    """What an access token stands for: its "knd" claim, so the values are on the wire."""

    APP = "app"  # an installed platform app (client_credentials with instance_id)
    ADMIN = "admin"  # an OAuth app's own admin token (client_credentials with its secret)
    VISITOR = "visitor"  # a site visitor (the anonymous grant)
    MEMBER = "member"  # a signed-in site member (authorization_code)


@dataclass(frozen=True)
class AccessClaims:
    kind: TokenKind
    subject: str
    project_id: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    token_id: str
    instance_id: str | None = None
    grant_id: str | None = None
    secret_generation: str | None = None  # admin tokens: which app secret minted it (credentials.secret_generation)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class TokenIssuer:
    def __init__(self, keys: SigningKeys, issuer: str, verified_budget: Budget = CacheBudgets.verified_tokens):
        self.keys = keys
        self.issuer = issuer
        self._algorithm = JWSRegistry(algorithms=[ALGORITHM]).get_alg(ALGORITHM)
        self._headers: dict[str, bytes] = {}
        self.verified: Bounded[str, AccessClaims] = Bounded(verified_budget.entries, verified_budget.bytes)
        self._verified_kids: frozenset[str] = frozenset()

    def _header_segment(self, key: StoredKey) -> bytes:
        segment = self._headers.get(key.kid)
        if segment is None:
            segment = self._headers[key.kid] = _b64(orjson.dumps({"typ": "at+jwt", "alg": ALGORITHM, "kid": key.kid}))
        return segment

    def _sign(self, payload: dict[str, Any]) -> str:
        """RFC 7515 compact serialisation; the signature is joserfc's ES256 (raw r||s, RFC 7518
        3.4). Only the header segment is cached: joserfc.jwt.encode rebuilt and re-validated it
        on every call, which cost as much as the signature itself."""
        key = self.keys.active
        signing_input = self._header_segment(key) + b"." + _b64(orjson.dumps(payload))
        signature = self._algorithm.sign(signing_input, key.key)
        return (signing_input + b"." + _b64(signature)).decode("ascii")

    def mint(
        self,
        *,
        kind: TokenKind,
        subject: str,
        project_id: str,
        client_id: str,
        lifetime: int,
        scopes: tuple[str, ...] = (),
        instance_id: str | None = None,
        grant_id: str | None = None,
        secret_generation: str | None = None,
    ) -> tuple[str, AccessClaims]:
        now = int(clock.timestamp())
        claims = AccessClaims(
            kind=kind,
            subject=subject,
            project_id=project_id,
            client_id=client_id,
            scopes=scopes,
            issued_at=now,
            expires_at=now + lifetime,
            token_id=ids.random_hex(16),
            instance_id=instance_id,
            grant_id=grant_id,
            secret_generation=secret_generation,
        )
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": project_id,
            "iat": now,
            "exp": claims.expires_at,
            "jti": claims.token_id,
            "client_id": client_id,
            "knd": kind,
            "tid": project_id,
        }
        if scopes:
            payload["scope"] = " ".join(scopes)
        if instance_id:
            payload["iid"] = instance_id
        if grant_id:
            payload["gid"] = grant_id
        if secret_generation:
            payload["sgen"] = secret_generation
        return self._sign(payload), claims

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
        kids = self.keys.kids
        if kids != self._verified_kids:
            self.verified.clear()
            self._verified_kids = kids
        known = self.verified.data.get(token)
        if known is not None:
            if known.expires_at > clock.timestamp():
                return known
            self.verified.pop(token)
            return None
        claims = await self._verify_signed(token)
        if claims is not None:
            self.verified.put(token, claims)
        return claims

    async def _verify_signed(self, token: str) -> AccessClaims | None:
        decoded = self._decode(token)
        if decoded is None:
            # Perhaps signed by a key that was rotated in elsewhere since we loaded ours.
            await self.keys.refresh_if_stale(force=True)
            decoded = self._decode(token)
        if decoded is None or decoded.header.get("typ") != "at+jwt":
            return None
        c = decoded.claims
        try:
            if c.get("iss") != self.issuer or int(c["exp"]) <= clock.timestamp():
                return None
            return AccessClaims(
                kind=TokenKind(c["knd"]),
                subject=str(c["sub"]),
                project_id=str(c["tid"]),
                client_id=str(c["client_id"]),
                scopes=tuple(str(c.get("scope", "")).split()),
                issued_at=int(c["iat"]),
                expires_at=int(c["exp"]),
                token_id=str(c["jti"]),
                instance_id=c.get("iid"),
                grant_id=c.get("gid"),
                secret_generation=str(c["sgen"]) if c.get("sgen") is not None else None,
            )
        except (KeyError, TypeError, ValueError):
            return None
