"""The installed apps page: the platform apps installed on the project and the scopes each
installation holds, in words. Read only: installing and uninstalling are the operator's
(``oauthapps apps install``), and no service changes an installation's scopes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..domain.scopes import scope_label
from ..services import tenancy as tenancy_service
from . import pages
from .forms import Form
from .guard import Visit, console_page


@console_page()
async def list_installed(request: Request, visit: Visit, _form: Form | None) -> Response:
    installed = await tenancy_service.installed_apps(visit.runtime.db, visit.project.project_id)
    return pages.render("installed.html", title="Installed apps", installed=installed, scope_label=scope_label, **visit.context())
