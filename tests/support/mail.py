"""Mail set-up shared by the mail tests: a server process sending to a loopback SMTP server, a
project, the ``oauthapps mail`` commands, and the outbox rows read through the store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from oauthapps.services import tenancy
from oauthapps.store import outbox
from oauthapps.store.database import Database
from oauthapps.store.outbox import OutboxMail

from .servers import run_cli
from .smtp import WAIT_SECONDS
from .tenants import run_db

FROM_ADDRESS = "no-reply@shop.example"


def mail_env(smtp_url: str | None, **extra: str) -> dict[str, str]:
    """A server's environment: retries after 1 s, then 2 s at most, so a test waits seconds."""
    env = {"OAUTHAPPS_MAIL_FROM": FROM_ADDRESS, "OAUTHAPPS_MAIL_RETRY_SECONDS": "1", "OAUTHAPPS_MAIL_RETRY_MAX_SECONDS": "2", **extra}
    if smtp_url is not None:
        env["OAUTHAPPS_SMTP_URL"] = smtp_url
    return env


def new_project(database_url: str, name: str = "Mail project") -> str:
    async def work(db: Database) -> str:
        return (await tenancy.create_project(db, name)).project_id

    return str(run_db(database_url, work))


def cli_json(*args: str, exit_code: int = 0) -> Any:
    result = run_cli(*args, "--json")
    assert result.returncode == exit_code, result.stderr
    return json.loads(result.stdout)


def outbox_row(database_url: str, mail_id: str) -> OutboxMail:
    async def work(db: Database) -> OutboxMail | None:
        async with db.read() as conn:
            return await outbox.get(conn, mail_id)

    row = run_db(database_url, work)
    assert row is not None, f"no outbox row {mail_id}"
    return row  # type: ignore[no-any-return]


def wait_for_row(database_url: str, mail_id: str, what: Callable[[OutboxMail], bool], timeout: float = WAIT_SECONDS) -> OutboxMail:
    """Poll the outbox row until ``what(row)`` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        row = outbox_row(database_url, mail_id)
        if what(row):
            return row
        assert time.monotonic() < deadline, f"outbox row never got there: {row.status} after {row.attempts} attempts"
        time.sleep(0.2)
