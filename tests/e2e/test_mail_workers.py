"""Two nodes of two workers each (four outbox senders) on one database, one SMTP server: every
queued mail arrives exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest

from oauthapps.domain.mail import MailStatus, MailTemplate
from oauthapps.services.mail import enqueue_mail
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade

from ..support.mail import mail_env, new_project, wait_for_row
from ..support.servers import fresh_database, two_nodes
from ..support.smtp import Inbox, smtp_server
from ..support.tenants import run_db

MAILS = 40


def test_four_senders_never_deliver_one_mail_twice(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    inbox = Inbox()
    # A database of its own: the suite's shared server has no mail server and would take these mails.
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    own = tmp_path_factory.mktemp("mail-workers")
    with fresh_database(engine, own) as database_url, smtp_server(inbox) as smtp:
        upgrade(database_url)
        _deliver_once(database_url, inbox, smtp.port, tmp_path_factory)


def _deliver_once(database_url: str, inbox: Inbox, smtp_port: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    with two_nodes(database_url, tmp_path_factory, extra_env=mail_env(f"smtp://127.0.0.1:{smtp_port}")):
        project = new_project(database_url, "Busy shop")

        async def enqueue(db: Database) -> list[str]:
            # All at once in one transaction, the way a feature enqueues: every sender finds them due together.
            async with db.transaction() as conn:
                return [await enqueue_mail(conn, project, f"m{i}@customers.example", MailTemplate.TEST, {}) for i in range(MAILS)]

        ids: list[str] = run_db(database_url, enqueue)
        for mail_id in ids:
            wait_for_row(database_url, mail_id, lambda row: row.status is MailStatus.SENT)

    delivered = Counter(str(r.message["Message-ID"]).strip("<>").split("@")[0] for r in inbox.received)
    assert set(delivered) == set(ids)
    assert [mail_id for mail_id, times in delivered.items() if times > 1] == []
