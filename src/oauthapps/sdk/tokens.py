"""Token values and the expiry rule, plus the one token-endpoint step every strategy uses.

The shapes mirror the JS SDK (``{accessToken: {value, expiresAt}, refreshToken: {value, role}}``)
so tokens stored by one can be loaded by the other (:meth:`Tokens.to_dict`, :meth:`Tokens.from_dict`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .http_calls import Context, token_json
from .operations import Op

Role = Literal["none", "visitor", "member"]

EXPIRY_MARGIN_SECONDS = 1.0
"""Treat a token as expired this long before the JS rule would. The JS SDK uses no margin, so a
token used in its last second can arrive after the server's ``exp``; one second covers that
round trip. The expiry itself is counted from when the token was *requested* (not when the answer
arrived), which can only make it earlier than the server's."""

TOKEN_PATH = "/oauth2/token"


@dataclass(frozen=True)
class AccessToken:
    value: str = ""
    expires_at: int = 0
    """Unix seconds: ``floor(now) + expires_in``, as the JS SDK computes it."""

    def is_expired(self, margin: float = EXPIRY_MARGIN_SECONDS, now: float | None = None) -> bool:
        """JS rule ``expires_at < now``, moved ``margin`` seconds earlier; an empty token is expired."""
        current = time.time() if now is None else now
        return not self.value or self.expires_at - margin < current


@dataclass(frozen=True)
class RefreshToken:
    value: str = ""
    role: Role = "none"


@dataclass(frozen=True)
class Tokens:
    access_token: AccessToken = field(default_factory=AccessToken)
    refresh_token: RefreshToken = field(default_factory=RefreshToken)

    def to_dict(self) -> dict[str, Any]:
        """The JS SDK's JSON shape, for cookies or session storage."""
        return {
            "accessToken": {"value": self.access_token.value, "expiresAt": self.access_token.expires_at},
            "refreshToken": {"value": self.refresh_token.value, "role": self.refresh_token.role},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Tokens:
        access = raw.get("accessToken") or {}
        refresh = raw.get("refreshToken") or {}
        roles: dict[str, Role] = {"none": "none", "visitor": "visitor", "member": "member"}
        role = roles.get(str(refresh.get("role") or "none"))
        if role is None:
            raise ValueError(f"unknown refresh token role {refresh.get('role')!r}")
        return cls(
            AccessToken(str(access.get("value") or ""), int(access.get("expiresAt") or 0)),
            RefreshToken(str(refresh.get("value") or ""), role),
        )


@dataclass(frozen=True)
class Granted:
    """What a token grant returned, with the expiry already computed."""

    access_token: AccessToken
    refresh_token: str | None


def request_token(ctx: Context, body: dict[str, Any]) -> Op[Granted]:
    """``POST /oauth2/token`` with a JSON body (the SDK never sends form encoding)."""
    requested_at = math.floor(time.time())
    response = yield ctx.request("POST", TOKEN_PATH, json=body)
    answer = token_json(response)
    expires_in = int(answer.get("expires_in") or 0)
    refresh = answer.get("refresh_token")
    return Granted(AccessToken(answer["access_token"], requested_at + expires_in), refresh if isinstance(refresh, str) else None)
