"""One mail to the SMTP server: the MIME message (plain text and HTML alternatives), the
connection as ``OAUTHAPPS_SMTP_URL`` says, and what a failure means for the outbox."""

from __future__ import annotations

import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from ..store.outbox import OutboxMail
from .settings import SmtpServer, TlsMode

TIMEOUT_SECONDS = 30.0


def build_message(mail: OutboxMail, from_address: str) -> EmailMessage:
    """The Message-ID is the outbox id, so a receiver can tell a resend from a new mail."""
    local, _, domain = from_address.rpartition("@")
    message = EmailMessage()
    message["From"] = Address(display_name=mail.sender_name, addr_spec=from_address)
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.id}@{domain or local}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    message.set_content(mail.body_text)
    message.add_alternative(mail.body_html, subtype="html")
    return message


class DeliveryFailed(Exception):
    """Why the server did not take the mail, in words safe for a log (no address, body or link).
    ``rejected``: the server refused this mail permanently (a 5xx to MAIL FROM, RCPT or DATA)."""

    def __init__(self, reason: str, *, rejected: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.rejected = rejected


async def deliver(server: SmtpServer, message: EmailMessage) -> None:
    """Send or raise DeliveryFailed. Connection, TLS, authentication and 4xx failures are worth
    retrying (the server or its set-up will be fixed); a 5xx to the mail itself is not."""
    try:
        await aiosmtplib.send(
            message,
            hostname=server.host,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.tls is TlsMode.IMPLICIT,
            start_tls={TlsMode.IMPLICIT: False, TlsMode.STARTTLS_REQUIRED: True, TlsMode.STARTTLS_IF_OFFERED: None}[server.tls],
            timeout=TIMEOUT_SECONDS,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        raise DeliveryFailed(f"recipient refused ({', '.join(map(str, codes))})", rejected=all(c >= 500 for c in codes)) from None
    except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as exc:
        # The server's text may quote the addresses: the log gets the stage and code only.
        raise DeliveryFailed(f"{type(exc).__name__} {exc.code}", rejected=exc.code >= 500) from None
    except aiosmtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"{type(exc).__name__} {exc.code}", rejected=False) from None
    except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
        # Connection, timeout and TLS errors name the server, never the mail.
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}", rejected=False) from None
