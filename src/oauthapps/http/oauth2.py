"""OAuth 2.0 protocol endpoints, plain Starlette routes (the hot path). Each parses the request,
calls the protocol function of ``oauth2/`` and answers:

- ``POST /oauth2/token`` (RFC 6749): oauth2/token_endpoint.py, one module per grant;
- ``POST /oauth2/revoke`` (RFC 7009): oauth2/revocation.py;
- ``POST /oauth2/token-info`` (Wix): oauth2/token_info.py;
- ``POST /oauth2/introspect`` (RFC 7662): oauth2/introspection.py;
- ``/.well-known/oauth-authorization-server`` (RFC 8414): oauth2/metadata.py, and the JWKS.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..domain.errors import PayloadTooLarge
from ..oauth2 import metadata as oauth_metadata
from ..oauth2 import params as oauth_params
from ..oauth2.errors import OAuth2Error
from ..oauth2.introspection import introspect
from ..oauth2.revocation import revoke
from ..oauth2.token_endpoint import ProtocolHandler, token
from ..oauth2.token_info import token_info
from ..runtime import Runtime
from .body import read_body
from .responses import NO_STORE, FastJSONResponse, oauth2_error
from .routing import PublicRoute

log = logging.getLogger("oauthapps.oauth2")


async def _params(request: Request, runtime: Runtime) -> dict[str, str]:
    """The body's parameters, with HTTP Basic client credentials merged in."""
    try:
        body = await read_body(request, runtime.settings.max_body_bytes)
    except PayloadTooLarge as exc:
        raise OAuth2Error("invalid_request", exc.description, 413) from exc
    params = oauth_params.parse_body(request.headers.get("content-type", ""), body)
    oauth_params.apply_basic_auth(params, request.headers.get("authorization"))
    return params


def _protocol_endpoint(handler: ProtocolHandler) -> Callable[[Request], Awaitable[Response]]:
    """Parse parameters, run, and answer errors in the RFC 6749 shape. Only the error code is
    logged: parameters hold secrets, codes and tokens."""

    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.state.app
        # Any attempt at HTTP Basic (even a malformed one) earns the WWW-Authenticate challenge
        # on a 401 (RFC 6749 5.2), so decide it from the header, not from a successful parse.
        basic = request.headers.get("authorization", "")[:6].lower() == "basic "
        try:
            result = await handler(await _params(request, runtime), runtime)
        except OAuth2Error as err:
            log.info("%s refused: %s", request.url.path, err.error)
            return oauth2_error(err, basic)
        return FastJSONResponse(result, headers=NO_STORE)

    return endpoint


async def metadata(request: Request) -> Response:
    runtime: Runtime = request.state.app
    return FastJSONResponse(oauth_metadata.document(runtime.settings.issuer), headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    runtime: Runtime = request.state.app
    await runtime.keys.refresh_if_stale()
    return FastJSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


routes = [
    PublicRoute(oauth_metadata.TOKEN_PATH, _protocol_endpoint(token), methods=["POST"]),
    PublicRoute(oauth_metadata.REVOCATION_PATH, _protocol_endpoint(revoke), methods=["POST"]),
    PublicRoute("/oauth2/token-info", _protocol_endpoint(token_info), methods=["POST"]),
    Route(oauth_metadata.INTROSPECTION_PATH, _protocol_endpoint(introspect), methods=["POST"]),
    PublicRoute(oauth_metadata.METADATA_PATH, metadata, methods=["GET"]),
    PublicRoute(oauth_metadata.JWKS_PATH, jwks, methods=["GET"]),
    PublicRoute("/oauth2/jwks", jwks, methods=["GET"]),
]
