"""Who is visiting a console page, checked before any handler runs: a live session, the project
(one of the owner's, or 404), and for every POST a CSRF token bound to the session and a role
that may change things (or 403). Errors the services raise become console pages, never a 500."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..domain.errors import NotFound, PermissionDenied
from ..domain.roles import CallerRole
from ..runtime import Runtime
from ..services import owners as owner_service
from ..services.actor import Actor
from ..services.callers import Caller
from ..store.owners import Membership, Owner
from . import pages
from .forms import FORM_LIMIT, Form, FormRejected, read_form
from .session import SESSION_COOKIE, csrf_for_session, tokens_match


@dataclass(frozen=True)
class Visit:
    runtime: Runtime
    owner: Owner
    session_token: str
    membership: Membership | None
    request_id: str | None

    @property
    def csrf(self) -> str:
        return csrf_for_session(self.session_token)

    @property
    def project(self) -> Membership:
        assert self.membership is not None
        return self.membership

    @property
    def actor(self) -> Actor:
        return owner_service.actor_for(self.owner, self.project, self.request_id)

    @property
    def caller(self) -> Caller:
        """The owner as the Members API's services see her: an admin of the project (a viewer's
        changes are refused before any handler runs)."""
        return Caller(self.project.project_id, CallerRole.ADMIN, self.owner.id)

    @property
    def data_caller(self) -> Caller:
        return owner_service.data_caller_for(self.owner, self.project)

    @property
    def can_change(self) -> bool:
        return self.membership is not None and self.membership.role.can_change

    def context(self, **extra: Any) -> dict[str, Any]:
        """What every signed-in page's layout shows."""
        return {
            "owner_email": self.owner.email,
            "csrf_token": self.csrf,
            "project": self.membership,
            "can_change": self.can_change,
            **extra,
        }


Handler = Callable[[Request, Visit, Form | None], Awaitable[Response]]


def runtime_of(request: Request) -> Runtime:
    return request.state.app  # type: ignore[no-any-return]


def console_page(
    *, project: bool = True, write: bool = False, form_limit: int = FORM_LIMIT
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """``write``: a POST that changes something (an owner's role only; a viewer gets 403).
    ``form_limit``: the largest form body read (bytes)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            runtime = runtime_of(request)
            token = request.cookies.get(SESSION_COOKIE)
            owner = await owner_service.session_owner(runtime.db, token)
            if owner is None or token is None:
                return pages.redirect("/console/sign-in")
            membership = None
            try:
                if project:
                    membership = await owner_service.project_of(runtime.db, owner, request.path_params["project_id"])
                visit = Visit(runtime, owner, token, membership, getattr(request.state, "request_id", None))
                form = None
                if request.method == "POST":
                    form = await read_form(request, form_limit)
                    if not tokens_match(visit.csrf, form.get("csrf_token")):
                        return pages.message(
                            "Form expired",
                            "This form expired or was not sent from the console. Go back, reload the page and try again.",
                            403,
                            **visit.context(),
                        )
                    if write and not visit.can_change:
                        return pages.message("Read only", "Your role in this project can see it but not change it.", 403, **visit.context())
                return await handler(request, visit, form)
            except NotFound:
                return pages.message("Not found", "There is nothing here, or it is not yours to see.", 404, owner_email=owner.email)
            except PermissionDenied:
                return pages.message("Read only", "Your role in this project can see it but not change it.", 403, owner_email=owner.email)
            except FormRejected as err:
                return pages.message("Form not accepted", err.message, err.status, owner_email=owner.email)

        return endpoint

    return wrap
