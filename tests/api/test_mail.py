"""Mail through a real SMTP server on loopback (aiosmtpd), sent by a real server process: the test
mail of ``oauthapps mail test`` goes the way every mail goes (an outbox row, then the sender of a
server worker). Each test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oauthapps.domain.mail import MailStatus
from oauthapps.store.migrate import upgrade

from ..support.mail import FROM_ADDRESS, cli_json, mail_env, new_project, outbox_row, wait_for_row
from ..support.servers import Server, fresh_database, running_server
from ..support.smtp import Inbox, SmtpServer, self_signed_certificate, server_tls_context, smtp_server

REFUSED = "nobody@customers.example"


@dataclass
class MailSetup:
    database_url: str
    server: Server
    smtp: SmtpServer
    inbox: Inbox


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the same engine, with no other server sending from its outbox."""
    with fresh_database("sqlite" if database_url.startswith("sqlite") else "postgresql", tmp_path) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
def mail_setup(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSetup]:
    # A database of its own: the suite's shared server has no mail server and would take these
    # mails into its development outbox.
    inbox = Inbox(refuse=frozenset({REFUSED}))
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    work = tmp_path_factory.mktemp("mail")
    with fresh_database(engine, work) as url, smtp_server(inbox) as smtp:
        upgrade(url)
        env = mail_env(f"smtp://127.0.0.1:{smtp.port}", OAUTHAPPS_MAIL_MAX_REJECTIONS="2")
        with running_server(url, work, extra_env=env) as server:
            yield MailSetup(url, server, smtp, inbox)


def test_the_test_mail_arrives_from_the_projects_sender(mail_setup: MailSetup) -> None:
    url = mail_setup.database_url
    project = new_project(url, "Fresh fruit")
    updated = cli_json("projects", "update", project, "--mail-sender-name", "Fruit & <Veg>", "--database", url)
    assert updated == {
        "projectId": project,
        "requireOwnerApproval": False,
        "requireEmailVerification": False,
        "mailSenderName": "Fruit & <Veg>",
    }

    sent = cli_json("mail", "test", "--project", project, "--to", "ann@customers.example", "--wait", "60", "--database", url)
    assert sent["status"] == MailStatus.SENT

    mail_setup.inbox.wait_for(lambda received: any(sent["id"] in str(r.message["Message-ID"]) for r in received))
    [got] = mail_setup.inbox.with_message_id(sent["id"])
    assert got.mail_from == FROM_ADDRESS
    assert got.rcpt_tos == ["ann@customers.example"]
    sender = got.message["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Fruit & <Veg>", FROM_ADDRESS)
    assert [a.addr_spec for a in got.message["To"].addresses] == ["ann@customers.example"]
    assert got.message["Subject"] == "Test mail from Fruit & <Veg>"
    assert "ann@customers.example" in got.text
    assert "Fruit & <Veg>" in got.text
    assert "Fruit &amp; &lt;Veg&gt;" in got.html  # the HTML body escapes what it is given
    assert "<Veg>" not in got.html

    listed = cli_json("mail", "list", "--project", project, "--database", url)
    assert [(m["id"], m["status"], m["to"]) for m in listed] == [(sent["id"], "sent", "ann@customers.example")]


def test_a_mail_waits_while_the_smtp_server_is_down(mail_setup: MailSetup) -> None:
    url = mail_setup.database_url
    project = new_project(url)
    mail_setup.smtp.stop()
    try:
        queued = cli_json("mail", "test", "--project", project, "--to", "bob@customers.example", "--database", url)
        # The sender tried, failed, and keeps the mail for a later try.
        row = wait_for_row(url, queued["id"], lambda r: r.attempts >= 2 and r.last_error is not None)
        assert row.status is MailStatus.PENDING
    finally:
        mail_setup.smtp.start()  # the same port again

    received = mail_setup.inbox.wait_for(lambda got: any(queued["id"] in str(r.message["Message-ID"]) for r in got))
    assert [r.rcpt_tos for r in received if queued["id"] in str(r.message["Message-ID"])] == [["bob@customers.example"]]
    row = wait_for_row(url, queued["id"], lambda r: r.status is not MailStatus.PENDING)
    assert row.status is MailStatus.SENT
    assert row.attempts >= 3


def test_a_refused_recipient_fails_after_the_allowed_rejections_and_the_log_keeps_mails_private(mail_setup: MailSetup) -> None:
    url = mail_setup.database_url
    project = new_project(url)
    # A failed test mail is an exit code of 1 for scripts.
    result = cli_json("mail", "test", "--project", project, "--to", REFUSED, "--wait", "60", "--database", url, exit_code=1)
    assert result["status"] == MailStatus.FAILED
    row = outbox_row(url, result["id"])
    assert row.attempts == 2  # OAUTHAPPS_MAIL_MAX_REJECTIONS
    assert row.last_error is not None
    assert "550" in row.last_error
    assert not mail_setup.inbox.with_message_id(result["id"])

    log = mail_setup.server.log()
    assert f"mail {result['id']} (test): failed" in log
    assert "customers.example" not in log  # no recipient (and so no body or subject) in any line
    assert "Test mail from" not in log


def test_without_an_smtp_url_mails_go_to_the_development_outbox(own_database: str, tmp_path: Path) -> None:
    database_url = own_database
    with running_server(database_url, tmp_path, extra_env=mail_env(None)) as server:
        assert "development outbox (no OAUTHAPPS_SMTP_URL)" in server.log()
        project = new_project(database_url, "Dev shop")
        queued = cli_json("mail", "test", "--project", project, "--to", "dev@customers.example", "--wait", "60", "--database", database_url)
        assert queued["status"] == MailStatus.DEV

    [mail] = cli_json("mail", "list", "--project", project, "--database", database_url)
    assert (mail["id"], mail["status"], mail["to"], mail["subject"]) == (
        queued["id"],
        "dev",
        "dev@customers.example",
        "Test mail from Dev shop",
    )
    assert "dev@customers.example" in mail["text"]


def test_starttls_with_a_self_signed_certificate_and_a_login(own_database: str, tmp_path: Path) -> None:
    database_url = own_database
    cert, key = self_signed_certificate(tmp_path)
    inbox = Inbox()
    with smtp_server(inbox, tls_context=server_tls_context(cert, key), login=("mailer", "p@ss/word")) as smtp:
        # The server trusts the certificate as a private CA through OpenSSL's SSL_CERT_FILE.
        env = mail_env(f"smtp://mailer:p%40ss%2Fword@127.0.0.1:{smtp.port}?starttls=required", SSL_CERT_FILE=str(cert))
        with running_server(database_url, tmp_path, extra_env=env) as server:
            assert f"mailer@127.0.0.1:{smtp.port} (STARTTLS required)" in server.log()
            assert "p@ss" not in server.log()
            project = new_project(database_url, "TLS shop")
            sent = cli_json(
                "mail", "test", "--project", project, "--to", "tls@customers.example", "--wait", "60", "--database", database_url
            )
            assert sent["status"] == MailStatus.SENT
    [got] = inbox.with_message_id(sent["id"])
    assert got.over_tls
    assert got.login == "mailer"
    assert got.rcpt_tos == ["tls@customers.example"]
