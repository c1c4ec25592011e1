"""Signing in and out, and choosing a project."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import TooManyRequests, Unauthenticated, ValidationFailed
from ..http.client_address import client_address
from ..http.responses import retry_after
from ..services import owners as owner_service
from . import pages
from .forms import Form, FormRejected, read_form
from .guard import Visit, console_page, runtime_of
from .session import (
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    clear_session,
    set_session,
    set_sign_in_csrf,
    sign_in_csrf,
    tokens_match,
)


async def root(_request: Request) -> Response:
    return pages.redirect("/console")


def _sign_in_page(request: Request, *, email: str = "", error: str = "", status: int = 200) -> Response:
    runtime = runtime_of(request)
    token = sign_in_csrf(request.cookies.get(SIGN_IN_CSRF_COOKIE))
    response = pages.render("sign_in.html", status, title="Sign in", email=email, error=error, csrf_token=token)
    set_sign_in_csrf(response, runtime, token)
    return response


async def sign_in_form(request: Request) -> Response:
    runtime = runtime_of(request)
    if await owner_service.session_owner(runtime.db, request.cookies.get(SESSION_COOKIE)):
        return pages.redirect("/console")
    return _sign_in_page(request)


async def sign_in(request: Request) -> Response:
    runtime = runtime_of(request)
    try:
        form = await read_form(request)
    except FormRejected as err:
        return _sign_in_page(request, error=err.message, status=err.status)
    email = form.get("email")[:320]
    if not tokens_match(request.cookies.get(SIGN_IN_CSRF_COOKIE), form.get("csrf_token")):
        return _sign_in_page(request, email=email, error="This form expired. Please try again.", status=403)
    try:
        signed_in = await owner_service.sign_in(
            runtime.db, runtime.settings.attempt_limits, email, form.get("password"), client_address(request)
        )
    except TooManyRequests as err:
        refused = _sign_in_page(
            request, email=email, error=f"Too many failed attempts. Please wait {err.retry_after_seconds or 60} seconds.", status=429
        )
        refused.headers.update(retry_after(err))
        return refused
    except (Unauthenticated, ValidationFailed):
        return _sign_in_page(request, email=email, error="Wrong email or password.", status=400)
    response = pages.redirect("/console")
    set_session(response, runtime, signed_in.session_token)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/console/sign-in")
    return response


@console_page(project=False)
async def sign_out(request: Request, visit: Visit, _form: Form | None) -> Response:
    await owner_service.sign_out(visit.runtime.db, visit.session_token)
    response = pages.redirect("/console/sign-in")
    clear_session(response, visit.runtime)
    return response


@console_page(project=False)
async def home(request: Request, visit: Visit, _form: Form | None) -> Response:
    """One project: straight to its OAuth apps; several: the picker."""
    projects = await owner_service.projects_of(visit.runtime.db, visit.owner)
    if len(projects) == 1:
        return pages.redirect(f"/console/p/{projects[0].project_id}/apps")
    return pages.render("projects.html", title="Projects", projects=projects, **visit.context())
