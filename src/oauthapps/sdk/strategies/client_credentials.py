"""The ``client_credentials`` strategies: an installed app (:class:`AppStrategy`, with
``instance_id``) and an OAuth app acting as its project's admin
(:class:`ClientCredentialsStrategy`, without). Both cache the access token until it expires and
then quietly ask for a new one; there is no refresh token in this grant."""

from __future__ import annotations

from ..operations import M, Op
from ..tokens import EXPIRY_MARGIN_SECONDS, AccessToken, request_token
from .base import Strategy


class _CachedClientCredentials(Strategy[M]):
    def __init__(self, client_id: str, client_secret: str, expiry_margin_seconds: float) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.expiry_margin_seconds = expiry_margin_seconds
        self._token = AccessToken()

    def _grant_body(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret}

    def auth_headers(self) -> Op[dict[str, str]]:
        if self._token.is_expired(self.expiry_margin_seconds):
            granted = yield from request_token(self.context, self._grant_body())
            self._token = granted.access_token
        return {"Authorization": self._token.value}

    @property
    def access_token(self) -> AccessToken:
        """The cached token (empty before the first call)."""
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token, e.g. after the secret changed; the next call gets a new one."""
        self._token = AccessToken()


class AppStrategy(_CachedClientCredentials[M]):
    """An installed platform app (e.g. one with ``SCOPE.OAUTH_APP.MANAGE`` that manages a
    project's OAuth apps), as the JS ``AppStrategy({appId, appSecret, instanceId})``."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        instance_id: str,
        *,
        expiry_margin_seconds: float = EXPIRY_MARGIN_SECONDS,
    ) -> None:
        super().__init__(app_id, app_secret, expiry_margin_seconds)
        self.instance_id = instance_id

    @property
    def app_id(self) -> str:
        return self.client_id

    def _grant_body(self) -> dict[str, str]:
        return {**super()._grant_body(), "instance_id": self.instance_id}


class ClientCredentialsStrategy(_CachedClientCredentials[M]):
    """An OAuth app with its secret gets an *admin* token for its project (Wix Headless admin
    calls: data, members). Keep the secret on a server; admin tokens bypass collection rules."""

    def __init__(self, client_id: str, client_secret: str, *, expiry_margin_seconds: float = EXPIRY_MARGIN_SECONDS) -> None:
        super().__init__(client_id, client_secret, expiry_margin_seconds)
