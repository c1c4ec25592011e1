"""The token endpoint (RFC 6749 3.2): picks the grant module for ``grant_type``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ..runtime import Runtime
from .errors import invalid_request, unsupported_grant_type
from .grants import anonymous, authorization_code, client_credentials, refresh_token

# A protocol function (each grant, revocation, token-info, introspection): the request's
# parameters in, the JSON answer out, failures raised as OAuth2Error.
ProtocolHandler = Callable[[dict[str, str], Runtime], Awaitable[dict[str, Any]]]

# In the order the metadata document (oauth2/metadata.py) lists them.
GRANTS: dict[str, ProtocolHandler] = {
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    "client_credentials": client_credentials.grant,
    "anonymous": anonymous.grant,
}


async def token(params: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    """The token response of the grant the request names."""
    grant_type = params.get("grant_type")
    if not grant_type:
        raise invalid_request("Missing parameter 'grant_type'")
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise unsupported_grant_type(grant_type)
    # Minting is where a key rotated elsewhere (the CLI, another node) must be picked up; without
    # this a running process signed with the retired key until something else reloaded the keys.
    await runtime.keys.refresh_if_stale()
    return await handler(params, runtime)
