"""oauthapps Python SDK, in the style of the JS ``@wix/sdk``::

    from oauthapps.sdk import OAuthStrategy, create_client, data

    client = create_client(auth=OAuthStrategy(client_id="..."), modules=[data], base_url="https://auth.example.com")
    page = client.data.query("Products").starts_with("title", "A").ascending("title").limit(10).find()

``create_async_client`` returns the asyncio twin with the same methods, awaited.
"""

from .client import AsyncClient, Client, create_async_client, create_client
from .errors import (
    ApiError,
    AuthorizationError,
    ConflictError,
    FieldViolation,
    NotFoundError,
    OAuthAppsError,
    PermissionDeniedError,
    TokenError,
    UnauthenticatedError,
    ValidationError,
)
from .login_callback import CallbackParams, OAuthData
from .modules import (
    DataItem,
    DataModule,
    Member,
    MemberList,
    MembersModule,
    ModuleSpec,
    OAuthApp,
    OAuthAppsModule,
    QueryBuilder,
    QueryResult,
    data,
    members,
    oauth_apps,
)
from .operations import Async, Op, Sync
from .strategies import ApiKeyStrategy, AppStrategy, AuthUrl, ClientCredentialsStrategy, LogoutUrl, OAuthStrategy, Strategy
from .tokens import EXPIRY_MARGIN_SECONDS, AccessToken, RefreshToken, Tokens

__all__ = [
    "EXPIRY_MARGIN_SECONDS",
    "AccessToken",
    "ApiError",
    "ApiKeyStrategy",
    "AppStrategy",
    "Async",
    "AsyncClient",
    "AuthUrl",
    "AuthorizationError",
    "CallbackParams",
    "Client",
    "ClientCredentialsStrategy",
    "ConflictError",
    "DataItem",
    "DataModule",
    "FieldViolation",
    "LogoutUrl",
    "Member",
    "MemberList",
    "MembersModule",
    "ModuleSpec",
    "NotFoundError",
    "OAuthApp",
    "OAuthAppsError",
    "OAuthAppsModule",
    "OAuthData",
    "OAuthStrategy",
    "Op",
    "PermissionDeniedError",
    "QueryBuilder",
    "QueryResult",
    "RefreshToken",
    "Strategy",
    "Sync",
    "TokenError",
    "Tokens",
    "UnauthenticatedError",
    "ValidationError",
    "create_async_client",
    "create_client",
    "data",
    "members",
    "oauth_apps",
]
