"""``oauthapps purge``: delete expired rows now (servers also do it on their own, services/purge.py)."""

from __future__ import annotations

import typer

from ..services import purge as purge_service
from .output import emit, fields, message, report_error
from .runner import DatabaseOpt, ExitCode, JsonOpt, run


def purge(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete expired grants, codes, sessions and limiter rows now (servers also do it every 30 minutes)."""
    counts = run(database, purge_service.purge_now)
    if counts is None:
        report_error(message("another process is purging this database right now; try again later"))
        raise typer.Exit(ExitCode.REFUSED)
    deleted = {name: f"{count} deleted" for name, count in counts.to_wire().items()}
    emit(counts.to_wire(), as_json, *fields(deleted, max(map(len, deleted))))
