"""``oauthapps demo``: the demo project, app and installation, with fresh credentials."""

from __future__ import annotations

from ..services import tenancy as tenancy_service
from .output import emit, fields
from .runner import DatabaseOpt, JsonOpt, run


def demo(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Create (once) a demo project with an installed app that may manage OAuth apps; print credentials."""
    creds = run(database, tenancy_service.demo)
    emit(creds, as_json, *fields(creds, width=11))
