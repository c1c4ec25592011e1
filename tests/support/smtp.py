"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, can be stopped and started
again on the same port, and can speak STARTTLS with a self-signed certificate made here."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .servers import free_port

WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Received:
    """One mail as the server took it: the envelope, the parsed message, and how the session went."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    over_tls: bool
    login: str | None

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Inbox:
    """The handler: answers 550 to the addresses in ``refuse``, keeps every accepted message."""

    refuse: frozenset[str] = frozenset()
    received: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        login = session.auth_data.decode() if isinstance(session.auth_data, bytes) else None
        got = Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.ssl is not None, login)  # type: ignore[arg-type]
        with self._changed:
            self.received.append(got)
            self._changed.notify_all()
        return "250 2.0.0 accepted"

    def wait_for(self, what: Callable[[list[Received]], bool], timeout: float = WAIT_SECONDS) -> list[Received]:
        """Block until ``what(received)`` holds (bounded: fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not what(self.received):
                left = deadline - time.monotonic()
                assert left > 0, f"the SMTP server did not receive the expected mail; it has {len(self.received)}"
                self._changed.wait(left)
            return list(self.received)

    def with_message_id(self, mail_id: str) -> list[Received]:
        return [r for r in self.received if mail_id in str(r.message["Message-ID"])]


def _authenticator(user: str, password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, auth_data=user.encode() if ok else None)

    return check


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1:``port``; ``stop`` and ``start`` keep the port."""

    def __init__(
        self, inbox: Inbox, port: int | None = None, tls_context: ssl.SSLContext | None = None, login: tuple[str, str] | None = None
    ):
        self.inbox = inbox
        self.port = port or free_port()
        self.tls_context = tls_context
        self.login = login
        self._controller: Controller | None = None

    def start(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.login is not None:
            kwargs.update(authenticator=_authenticator(*self.login), auth_required=True)
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server(inbox: Inbox, **kwargs: Any) -> Iterator[SmtpServer]:
    server = SmtpServer(inbox, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oauthapps test SMTP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
