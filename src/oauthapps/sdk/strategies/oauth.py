"""OAuthStrategy: a site's visitors and members (Wix Headless ``OAuthStrategy``).

A visitor starts anonymous (the first call fetches visitor tokens); logging in sends the browser
to the hosted login through a redirect session and trades the returned code, with the PKCE
verifier, for member tokens. Access tokens are renewed from the refresh token when they expire.

As in the JS SDK, ``generate_visitor_tokens``, ``get_member_tokens`` and ``renew_token`` *return*
tokens without storing them (a server may serve many users with one client); call
``set_tokens`` to adopt them. Only the automatic renewal before a call stores what it gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..dual_mode import operation
from ..errors import ApiError, AuthorizationError, TokenError
from ..http_calls import call
from ..login_callback import CallbackParams, OAuthData, ResponseMode, parse_callback
from ..operations import M, Op
from ..tokens import EXPIRY_MARGIN_SECONDS, Granted, RefreshToken, Tokens, request_token
from .base import Strategy

REDIRECT_SESSION_PATH = "/_api/redirects-api/v1/redirect-session"
Prompt = Literal["login", "none"]


@dataclass(frozen=True)
class AuthUrl:
    """Where to send the browser to log in."""

    auth_url: str
    authorization_endpoint: str
    session_token: str


@dataclass(frozen=True)
class LogoutUrl:
    """Where to send the browser so the server ends the member's login session too."""

    logout_url: str


class OAuthStrategy(Strategy[M]):
    """Visitor and member authentication for an OAuth app (its ``id`` is the client ID)."""

    def __init__(
        self,
        client_id: str,
        tokens: Tokens | None = None,
        *,
        expiry_margin_seconds: float = EXPIRY_MARGIN_SECONDS,
    ) -> None:
        self.client_id = client_id
        self.expiry_margin_seconds = expiry_margin_seconds
        self._tokens = tokens or Tokens()

    # --- local state -----------------------------------------------------------------------

    def get_tokens(self) -> Tokens:
        return self._tokens

    def set_tokens(self, tokens: Tokens) -> None:
        self._tokens = tokens

    def logged_in(self) -> bool:
        return self._tokens.refresh_token.role == "member"

    def generate_oauth_data(self, redirect_uri: str, original_uri: str | None = None) -> OAuthData:
        """Fresh PKCE verifier/challenge and state for one login; keep it until the callback."""
        return OAuthData.generate(redirect_uri, original_uri)

    def parse_from_url(self, url: str, response_mode: ResponseMode | None = None) -> CallbackParams:
        """``code``/``state`` (or ``error``) from the callback URL's fragment or query."""
        return parse_callback(url, response_mode)

    # --- token grants ----------------------------------------------------------------------

    def _grant(self, body: dict[str, Any]) -> Op[Granted]:
        return (yield from request_token(self.context, {"clientId": self.client_id, **body}))

    def _anonymous(self) -> Op[Tokens]:
        granted = yield from self._grant({"grantType": "anonymous"})
        return Tokens(granted.access_token, RefreshToken(granted.refresh_token or "", "visitor"))

    def _renew(self, refresh: RefreshToken) -> Op[Tokens]:
        granted = yield from self._grant({"grantType": "refresh_token", "refreshToken": refresh.value})
        # Keep the role; take a new refresh token if the app rotates them (the JS SDK would not).
        return Tokens(granted.access_token, RefreshToken(granted.refresh_token or refresh.value, refresh.role))

    def _fresh(self, tokens: Tokens) -> Op[Tokens]:
        """Renew from the refresh token. A visitor whose refresh is refused starts over as a new
        anonymous visitor (as in the JS SDK); a member's refusal is raised, never downgraded."""
        refresh = tokens.refresh_token
        if refresh.value:
            try:
                return (yield from self._renew(refresh))
            except TokenError as refused:
                if refresh.role == "member" or not 400 <= refused.status < 500:
                    raise
        elif refresh.role == "member":
            raise AuthorizationError("login_required", "The member's access token expired and there is no refresh token")
        return (yield from self._anonymous())

    def auth_headers(self) -> Op[dict[str, str]]:
        if self._tokens.access_token.is_expired(self.expiry_margin_seconds):
            self._tokens = yield from self._fresh(self._tokens)
        return {"Authorization": self._tokens.access_token.value}

    @operation
    def generate_visitor_tokens(self, tokens: Tokens | None = None) -> Op[Tokens]:
        """``tokens`` unchanged if still valid, else renewed from their refresh token, else new
        anonymous visitor tokens. Not stored: call ``set_tokens``."""
        if tokens is not None and tokens.refresh_token.value and not tokens.access_token.is_expired(self.expiry_margin_seconds):
            return tokens
        return (yield from self._fresh(tokens or Tokens()))

    @operation
    def renew_token(self, refresh_token: RefreshToken | None = None) -> Op[Tokens]:
        """A new access token from ``refresh_token`` (default: the current one). Not stored."""
        refresh = refresh_token or self._tokens.refresh_token
        if not refresh.value:
            raise ValueError("There is no refresh token to renew from")
        return (yield from self._renew(refresh))

    @operation
    def get_member_tokens(self, code: str | None, state: str | None, oauth_data: OAuthData) -> Op[Tokens]:
        """Trade the callback's code for member tokens, after checking the state is ours. Not stored."""
        if not code or not state:
            raise AuthorizationError("invalid_request", "The callback carries no code or no state", state)
        if state != oauth_data.state:
            raise AuthorizationError("invalid_state", "The callback's state does not match this login", state)
        body: dict[str, Any] = {"grantType": "authorization_code", "code": code, "codeVerifier": oauth_data.code_verifier}
        if oauth_data.redirect_uri:
            body["redirectUri"] = oauth_data.redirect_uri
        granted = yield from self._grant(body)
        return Tokens(granted.access_token, RefreshToken(granted.refresh_token or "", "member"))

    # --- redirect sessions -----------------------------------------------------------------

    def _redirect_session(self, body: dict[str, Any]) -> Op[dict[str, Any]]:
        answer = yield from call(self.context, "POST", REDIRECT_SESSION_PATH, json=body)
        session = answer.get("redirectSession")
        if not isinstance(session, dict) or not session.get("fullUrl"):
            raise ApiError(200, "INVALID_RESPONSE", "The redirect session answer has no fullUrl")
        return session

    @operation
    def get_auth_url(
        self,
        oauth_data: OAuthData,
        *,
        response_mode: ResponseMode = "fragment",
        prompt: Prompt = "login",
    ) -> Op[AuthUrl]:
        """Ask the server for the hosted-login URL bound to this PKCE challenge and state.
        ``prompt='none'`` returns at once with a code if the browser is already signed in, or
        with ``error=login_required``."""
        session = yield from self._redirect_session(
            {
                "auth": {
                    "authRequest": {
                        "clientId": self.client_id,
                        "redirectUri": oauth_data.redirect_uri,
                        "codeChallenge": oauth_data.code_challenge,
                        "codeChallengeMethod": "S256",
                        "responseMode": response_mode,
                        "responseType": "code",
                        "scope": "offline_access",
                        "state": oauth_data.state,
                    },
                    "prompt": prompt,
                }
            }
        )
        details = session.get("urlDetails") or {}
        return AuthUrl(str(session["fullUrl"]), str(details.get("endpoint") or ""), str(session.get("sessionToken") or ""))

    @operation
    def logout(self, original_url: str) -> Op[LogoutUrl]:
        """Get the server's logout URL (which returns the browser to ``original_url``) and clear
        the local tokens. Nothing is revoked here: the browser's visit ends the session."""
        body = {"logout": {"clientId": self.client_id}, "callbacks": {"postFlowUrl": original_url}}
        session = yield from self._redirect_session(body)
        self._tokens = Tokens()
        return LogoutUrl(str(session["fullUrl"]))
