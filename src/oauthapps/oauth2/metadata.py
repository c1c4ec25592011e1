"""Authorization server metadata (RFC 8414), and the paths of the endpoints it advertises."""

from __future__ import annotations

from typing import Any

from ..domain.authorize_request import RESPONSE_MODES
from .token_endpoint import GRANTS

METADATA_PATH = "/.well-known/oauth-authorization-server"
AUTHORIZATION_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"
REVOCATION_PATH = "/oauth2/revoke"
INTROSPECTION_PATH = "/oauth2/introspect"
JWKS_PATH = "/.well-known/jwks.json"

CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
# Introspection needs the client secret (oauth2/introspection.py).
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


def document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}{AUTHORIZATION_PATH}",
        "token_endpoint": f"{issuer}{TOKEN_PATH}",
        "revocation_endpoint": f"{issuer}{REVOCATION_PATH}",
        "introspection_endpoint": f"{issuer}{INTROSPECTION_PATH}",
        "jwks_uri": f"{issuer}{JWKS_PATH}",
        "response_types_supported": ["code"],
        "response_modes_supported": list(RESPONSE_MODES),
        "grant_types_supported": list(GRANTS),
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": SECRET_AUTH_METHODS,
        "scopes_supported": ["offline_access"],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{issuer}/docs",
    }
