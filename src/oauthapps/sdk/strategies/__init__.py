"""Auth strategies: who the client is, and how it gets the ``Authorization`` header."""

from .api_key import ApiKeyStrategy
from .base import Strategy
from .client_credentials import AppStrategy, ClientCredentialsStrategy
from .oauth import AuthUrl, LogoutUrl, OAuthStrategy

__all__ = ["ApiKeyStrategy", "AppStrategy", "AuthUrl", "ClientCredentialsStrategy", "LogoutUrl", "OAuthStrategy", "Strategy"]
