"""The FastAPI app for the management API, with errors in the Wix wire format."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from ..domain.errors import DomainError
from . import oauth_apps
from .responses import FastJSONResponse, application_error, domain_error

STATUS_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def build_management_api() -> FastAPI:
    api = FastAPI(
        title="oauthapps management API",
        version="1",
        description="OAuth Apps API, wire-compatible with Wix Headless. Authenticate with an installed app's "
        "access token (POST /oauth2/token, client_credentials with instance_id) or an owner API key "
        "plus the wix-site-id header, in the Authorization header with or without 'Bearer '.",
        openapi_url="/openapi.json",
        docs_url=None,  # served by api_docs.py, from packaged files and with a CSP
        redoc_url=None,
    )
    for index, prefix in enumerate(oauth_apps.PREFIXES):
        api.include_router(oauth_apps.build_router(include_in_schema=index == 0), prefix=prefix)

    @api.exception_handler(DomainError)
    async def on_domain_error(_request: Request, exc: DomainError) -> FastJSONResponse:
        return domain_error(exc)

    @api.exception_handler(HTTPException)
    async def on_http_error(_request: Request, exc: HTTPException) -> FastJSONResponse:
        code = STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
        return application_error(exc.status_code, code, str(exc.detail))

    @api.exception_handler(RequestValidationError)
    async def on_validation(_request: Request, exc: RequestValidationError) -> FastJSONResponse:
        return application_error(400, "INVALID_ARGUMENT", str(exc.errors()[:1]))

    return api
