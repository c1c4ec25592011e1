"""The authorization request (RFC 6749 4.1.1 + RFC 7636 + response_mode) as a value, and how a
response goes back to the client. Pure: the HTTP layer and the redirect-session API share it.

Errors come in two kinds (RFC 6749 4.1.2.1): a bad client or redirect URI must never redirect
(the caller shows an error page); anything else goes back to the approved redirect URI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from . import pkce


class ResponseMode(StrEnum):
    """Where the answer goes: the redirect URI's query or fragment, or (``web_message``, the Wix
    SDK's ``getMemberTokensForDirectLogin``) a page in a hidden iframe that posts it to its parent
    window, whose origin is the redirect URI's."""

    QUERY = "query"
    FRAGMENT = "fragment"
    WEB_MESSAGE = "web_message"


RESPONSE_MODES = tuple(mode.value for mode in ResponseMode)
PROMPTS = ("none", "login", "consent", "select_account")
MAX_STATE_LENGTH = 2048


class AuthorizeError(Exception):
    """An error to report to the client at its approved redirect URI."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    code_challenge: str
    response_mode: str = ResponseMode.QUERY
    state: str | None = None
    prompt: str | None = None
    scope: str = ""
    session_token: str | None = None

    def to_params(self) -> dict[str, str]:
        """The standard query parameters that reproduce this request at /oauth2/authorize."""
        params = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "response_mode": self.response_mode,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        optional = (("state", self.state), ("prompt", self.prompt), ("scope", self.scope), ("session_token", self.session_token))
        params.update({name: value for name, value in optional if value})
        return params


def response_mode_of(params: Mapping[str, str]) -> str:
    """The mode to answer in, even when the rest of the request is bad (default: query)."""
    mode = params.get("response_mode") or ResponseMode.QUERY
    return ResponseMode(mode) if mode in RESPONSE_MODES else ResponseMode.QUERY


def parse(params: Mapping[str, str], client_id: str, redirect_uri: str) -> AuthorizeRequest:
    """Everything after the client and redirect URI were accepted."""
    response_type = params.get("response_type")
    if response_type != "code":
        raise AuthorizeError("unsupported_response_type", "Only response_type=code is supported")
    mode = params.get("response_mode") or ResponseMode.QUERY
    if mode not in RESPONSE_MODES:
        raise AuthorizeError("invalid_request", f"response_mode must be one of {', '.join(RESPONSE_MODES)}")
    challenge = params.get("code_challenge")
    if not challenge:
        raise AuthorizeError("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256")
    if params.get("code_challenge_method") not in pkce.SUPPORTED_METHODS:
        raise AuthorizeError("invalid_request", "code_challenge_method must be S256")
    if not pkce.is_valid_challenge(challenge):
        raise AuthorizeError("invalid_request", "code_challenge must be the base64url SHA-256 of the verifier")
    state = params.get("state")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise AuthorizeError("invalid_request", f"state must be at most {MAX_STATE_LENGTH} characters")
    prompt = params.get("prompt") or None
    if prompt is not None and prompt not in PROMPTS:
        raise AuthorizeError("invalid_request", f"prompt must be one of {', '.join(PROMPTS)}")
    if mode == ResponseMode.WEB_MESSAGE and prompt != "none":
        # The answer page runs in a hidden iframe, where no form could be shown (and hosted forms
        # are never framed).
        raise AuthorizeError("invalid_request", "response_mode=web_message requires prompt=none")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        code_challenge=challenge,
        response_mode=ResponseMode(mode),
        state=state,
        prompt=prompt,
        scope=params.get("scope", ""),
        session_token=params.get("session_token") or None,
    )


def build_redirect(redirect_uri: str, params: Mapping[str, str | None], mode: str) -> str:
    """Append response parameters to an approved redirect URI (which has no fragment)."""
    encoded = urlencode({k: v for k, v in params.items() if v is not None})
    if mode == "fragment":
        return f"{redirect_uri}#{encoded}"
    separator = "&" if "?" in redirect_uri else "?"
    if redirect_uri.endswith(("?", "&")):
        separator = ""
    return f"{redirect_uri}{separator}{encoded}"


def token_redirect_uri_matches(sent: str | None, issued_for: str | None, mode: str | None) -> bool:
    """The token request's ``redirect_uri`` against the code's (RFC 6749 4.1.3). A ``web_message``
    code may also be redeemed without one: the Wix SDK sends none, the code only ever reached the
    approved origin's window, and PKCE binds it to the client that asked for it."""
    if sent == issued_for:
        return True
    return sent is None and mode == ResponseMode.WEB_MESSAGE
