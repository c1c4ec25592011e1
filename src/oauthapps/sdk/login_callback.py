"""The login round trip's local parts: what to remember between the redirect and the callback
(:class:`OAuthData`), and reading the callback URL (:func:`parse_callback`). No I/O here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from .errors import AuthorizationError
from .pkce import code_challenge, code_verifier

ResponseMode = Literal["fragment", "query"]
"""Where the login redirect puts ``code``/``state``/``error``: the URL fragment or its query."""


@dataclass(frozen=True)
class OAuthData:
    """Keep this (e.g. in the user's session) from the redirect to the callback: the verifier
    proves the code is ours, the state that the callback answers our redirect."""

    redirect_uri: str
    original_uri: str
    code_verifier: str
    code_challenge: str
    state: str

    @classmethod
    def generate(cls, redirect_uri: str, original_uri: str | None = None) -> OAuthData:
        verifier = code_verifier()
        # Like the JS SDK, the state is the challenge of a second random verifier.
        return cls(redirect_uri, original_uri or "", verifier, code_challenge(verifier), code_challenge(code_verifier()))

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> OAuthData:
        return cls(**{name: str(raw.get(name) or "") for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class CallbackParams:
    """What the login redirect brought back: a code and state, or an error."""

    code: str | None
    state: str | None
    error: str | None = None
    error_description: str | None = None

    def raise_for_error(self) -> CallbackParams:
        """Raise :class:`AuthorizationError` if the redirect reported one; else return self."""
        if self.error:
            raise AuthorizationError(self.error, self.error_description or "", self.state)
        return self


def parse_callback(url: str, response_mode: ResponseMode | None = None) -> CallbackParams:
    """Read ``code``/``state``/``error`` from the fragment or the query. Without a mode, the part
    that carries any of them wins, the fragment first (the default response mode)."""
    parts = urlsplit(url)
    candidates = {"fragment": parts.fragment, "query": parts.query}
    if response_mode is not None:
        raw = candidates[response_mode]
    else:
        raw = next(
            (text for text in candidates.values() if {"code", "state", "error"} & set(parse_qs(text))),
            parts.fragment,
        )
    params = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
    return CallbackParams(params.get("code"), params.get("state"), params.get("error"), params.get("error_description"))
