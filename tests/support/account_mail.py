"""A server that sends its mail to a real SMTP server on loopback, for the account-recovery tests
(password reset, email verification), and the mails they read: the reset link, the code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import httpx

from oauthapps.store.migrate import upgrade

from .mail import mail_env
from .servers import Server, fresh_database, running_server
from .smtp import Inbox, Received, SmtpServer, smtp_server
from .tenants import run_db

LINK_RE = re.compile(r"(https?://\S+/oauth2/reset-password\?\S+)")
CODE_RE = re.compile(r"^(\d{6})\r?$", re.MULTILINE)


@dataclass
class MailingServer:
    server: Server
    smtp: SmtpServer
    inbox: Inbox

    @property
    def database_url(self) -> str:
        return self.server.database_url

    def mails_to(self, address: str) -> list[Received]:
        return [r for r in self.inbox.received if r.rcpt_tos == [address]]

    def wait_for_mails(self, address: str, count: int = 1) -> list[Received]:
        """The mails to ``address`` once there are ``count`` of them, oldest first."""
        self.inbox.wait_for(lambda received: len([r for r in received if r.rcpt_tos == [address]]) >= count)
        return self.mails_to(address)


@contextmanager
def mailing_server(
    database_url: str, tmp_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()
) -> Iterator[MailingServer]:
    """A server with a mail server, on a fresh database of the same engine: the suite's shared
    server has none and would take the mails into its development outbox."""
    inbox = Inbox()
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(engine, tmp_dir) as url, smtp_server(inbox) as smtp:
        upgrade(url)
        env = {**mail_env(f"smtp://127.0.0.1:{smtp.port}"), **(extra_env or {})}
        with running_server(url, tmp_dir, workers=workers, extra_env=env, extra_args=extra_args) as server:
            yield MailingServer(server, smtp, inbox)


def reset_link_in(mail: Received) -> str:
    [link] = LINK_RE.findall(mail.text)
    assert unescape(link) in unescape(mail.html)
    return str(link)


def code_in(mail: Received) -> str:
    [code] = CODE_RE.findall(mail.text)
    return str(code)


def age_rows(database_url: str, table: str, member_id: str, values: dict[str, Any]) -> None:
    """Set ``values`` on a member's rows of ``table``: what the passing of time would do to them."""
    from sqlalchemy import update

    from oauthapps.store import schema
    from oauthapps.store.database import Database

    async def work(db: Database) -> None:
        async with db.transaction() as conn:
            rows = getattr(schema, table)
            await conn.execute(update(rows).where(rows.c.member_id == member_id).values(**values))

    run_db(database_url, work)


def hidden_inputs(html: str) -> dict[str, str]:
    return {m.group(1): unescape(m.group(2)) for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)}


def assert_hosted_page_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text
