"""``POST /oauth2/token``: a plain Starlette route (the hot path), dispatching to one grant module."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from ..domain.errors import PayloadTooLarge
from ..oauth2 import params as oauth_params
from ..oauth2.errors import OAuth2Error, invalid_request, unsupported_grant_type
from ..oauth2.grants import client_credentials
from ..state import AppState
from .body import read_body
from .responses import NO_STORE, FastJSONResponse, oauth2_error

log = logging.getLogger("oauthapps.oauth2")

Grant = Callable[[dict[str, str], AppState], Awaitable[dict[str, Any]]]
GRANTS: dict[str, Grant] = {
    "client_credentials": client_credentials.grant,
}


async def token_endpoint(request: Request) -> FastJSONResponse:
    state: AppState = request.state.app
    basic = False
    try:
        try:
            body = await read_body(request, state.settings.max_body_bytes)
        except PayloadTooLarge as exc:
            raise OAuth2Error("invalid_request", exc.description, 413) from exc
        params = oauth_params.parse_body(request.headers.get("content-type", ""), body)
        basic = oauth_params.apply_basic_auth(params, request.headers.get("authorization"))
        grant_type = params.get("grant_type")
        if not grant_type:
            raise invalid_request("Missing parameter 'grant_type'")
        handler = GRANTS.get(grant_type)
        if handler is None:
            raise unsupported_grant_type(grant_type)
        result = await handler(params, state)
    except OAuth2Error as err:
        # Log the error code only: parameters can hold secrets, codes and tokens.
        log.info("token request refused: %s", err.error)
        return oauth2_error(err, basic)
    return FastJSONResponse(result, headers=NO_STORE)


routes = [Route("/oauth2/token", token_endpoint, methods=["POST"])]
