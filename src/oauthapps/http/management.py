"""The FastAPI app of the management API: its OpenAPI document and /docs, made from the route
declarations (openapi.py), and the answers around them (404, 405, a trailing slash), with every
error in the Wix wire format. The operations themselves are served by plain routes ahead of it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from ..domain.errors import DomainError
from ..store.failures import classify
from . import audit_log, oauth_apps, openapi
from .responses import FastJSONResponse, application_error, domain_error, internal_error, storage_failure

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
    openapi.document(api, oauth_apps.OPERATIONS, oauth_apps.PREFIXES, tag=oauth_apps.TAG, errors=oauth_apps.ERRORS)
    openapi.document(api, audit_log.OPERATIONS, audit_log.PREFIXES, tag=audit_log.TAG, errors=audit_log.ERRORS)

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

    # Starlette's last-resort handler would answer plain text; this one answers the wire format
    # (a storage failure as the middleware answers it). The error is then raised on to
    # RequestContextMiddleware, which logs it once (or counts it in the storage outage).
    @api.exception_handler(Exception)
    async def on_unhandled(request: Request, exc: Exception) -> FastJSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        failure = classify(exc)
        if failure is not None:
            return storage_failure(failure, request_id, request.url.path)
        return internal_error(request_id)

    return api
