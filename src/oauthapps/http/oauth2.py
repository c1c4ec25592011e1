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
from ..metrics.instruments import OTHER, TokenOutcome
from ..oauth2 import metadata as oauth_metadata
from ..oauth2 import params as oauth_params
from ..oauth2.errors import OAuth2Error
from ..oauth2.introspection import introspect
from ..oauth2.revocation import revoke
from ..oauth2.token_endpoint import GRANTS, ProtocolHandler, token
from ..oauth2.token_info import token_info
from ..runtime import Runtime
from ..store.failures import classify
from .body import read_body
from .client_address import client_address
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


def _outcome(err: OAuth2Error) -> TokenOutcome:
    if err.status == 429:
        return TokenOutcome.RATE_LIMITED
    if err.cut_off:
        return TokenOutcome.CUT_OFF
    try:
        return TokenOutcome(err.error)
    except ValueError:
        return TokenOutcome.OTHER


def _grant_label(params: dict[str, str] | None) -> str:
    """A bounded label: a grant type this server knows, ``none`` or ``other``."""
    grant = params.get("grant_type") if params is not None else None
    return "none" if not grant else grant if grant in GRANTS else OTHER


def _protocol_endpoint(handler: ProtocolHandler, counts_tokens: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Parse parameters, run, and answer errors in the RFC 6749 shape. Only the error code is
    logged: parameters hold secrets, codes and tokens. ``counts_tokens``: the token endpoint,
    whose outcomes the metrics count by grant (metrics/instruments.py)."""

    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.state.app
        # Any attempt at HTTP Basic (even a malformed one) earns the WWW-Authenticate challenge
        # on a 401 (RFC 6749 5.2), so decide it from the header, not from a successful parse.
        basic = request.headers.get("authorization", "")[:6].lower() == "basic "
        metrics = runtime.token_metrics if counts_tokens else None
        params: dict[str, str] | None = None
        try:
            params = await _params(request, runtime)
            result = await handler(params, runtime, client_address(request))
        except OAuth2Error as err:
            log.info("%s refused: %s", request.url.path, err.error)
            if metrics is not None:
                metrics.record(_grant_label(params), _outcome(err))
            return oauth2_error(err, basic)
        if metrics is not None:
            metrics.record(_grant_label(params), TokenOutcome.ISSUED, params.get("client_id"))
        return FastJSONResponse(result, headers=NO_STORE)

    return endpoint


async def metadata(request: Request) -> Response:
    runtime: Runtime = request.state.app
    document = oauth_metadata.document(runtime.settings.issuer, api_docs=runtime.settings.api_docs)
    return FastJSONResponse(document, headers={"Cache-Control": "public, max-age=300"})


async def jwks(request: Request) -> Response:
    runtime: Runtime = request.state.app
    try:
        await runtime.keys.refresh_if_stale()
    except Exception as exc:
        # While the database cannot be read, the keys in hand are still the ones that verify
        # every token this process signed: serve them (a rotation needs the database as well).
        if classify(exc) is None or not runtime.keys.kids:
            raise
    return FastJSONResponse(runtime.keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


routes = [
    PublicRoute(oauth_metadata.TOKEN_PATH, _protocol_endpoint(token, counts_tokens=True), methods=["POST"]),
    PublicRoute(oauth_metadata.REVOCATION_PATH, _protocol_endpoint(revoke), methods=["POST"]),
    PublicRoute("/oauth2/token-info", _protocol_endpoint(token_info), methods=["POST"]),
    Route(oauth_metadata.INTROSPECTION_PATH, _protocol_endpoint(introspect), methods=["POST"]),
    PublicRoute(oauth_metadata.METADATA_PATH, metadata, methods=["GET"]),
    PublicRoute(oauth_metadata.JWKS_PATH, jwks, methods=["GET"]),
    PublicRoute("/oauth2/jwks", jwks, methods=["GET"]),
]
