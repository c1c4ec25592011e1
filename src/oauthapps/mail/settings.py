"""Mail settings from the environment: where mails go (``OAUTHAPPS_SMTP_URL``, or the development
outbox without it), the From address, and the retry and retention schedule."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from urllib.parse import parse_qs, unquote, urlsplit

from ..domain.errors import ValidationFailed
from ..domain.mail import check_recipient

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


class TlsMode(StrEnum):
    """How the connection to the mail server is protected."""

    STARTTLS_IF_OFFERED = "auto"  # smtp://: upgrade with STARTTLS when the server offers it
    STARTTLS_REQUIRED = "required"  # smtp://...?starttls=required: refuse to send without it
    IMPLICIT = "implicit"  # smtps://: TLS from the first byte


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: TlsMode
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """For the server log: never the password."""
        user = f"{self.username}@" if self.username else ""
        how = {
            TlsMode.STARTTLS_IF_OFFERED: "STARTTLS when offered",
            TlsMode.STARTTLS_REQUIRED: "STARTTLS required",
            TlsMode.IMPLICIT: "implicit TLS",
        }[self.tls]
        return f"{user}{self.host}:{self.port} ({how})"


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://user:pass@host:port[?starttls=required]`` or ``smtps://user:pass@host:port``;
    user and password are percent-decoded. Raises ValueError naming what is wrong (never the password)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("OAUTHAPPS_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("OAUTHAPPS_SMTP_URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError("OAUTHAPPS_SMTP_URL has an invalid port") from None
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError("OAUTHAPPS_SMTP_URL takes no path")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise ValueError(f"OAUTHAPPS_SMTP_URL: unknown option {unknown[0]!r} (known: starttls)")
    tls = TlsMode.IMPLICIT if scheme == "smtps" else TlsMode.STARTTLS_IF_OFFERED
    if "starttls" in query:
        value = query["starttls"][-1].lower()
        if scheme == "smtps":
            raise ValueError("OAUTHAPPS_SMTP_URL: starttls applies to smtp:// only (smtps:// is TLS from the start)")
        if value not in (TlsMode.STARTTLS_IF_OFFERED, TlsMode.STARTTLS_REQUIRED):
            raise ValueError("OAUTHAPPS_SMTP_URL: starttls must be auto or required")
        tls = TlsMode(value)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpServer(host=parts.hostname, port=port, tls=tls, username=username, password=password)


def default_from_address(issuer: str) -> str:
    """``no-reply@`` the issuer's host (an IP address as a domain literal, ``[127.0.0.1]``)."""
    host = urlsplit(issuer).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"no-reply@{host}"
    return f"no-reply@[{host}]"


def _seconds(name: str, default: int, low: int, high: int) -> timedelta:
    raw = os.environ.get(name)
    value = default if raw is None or raw.strip() == "" else int(raw)
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}")
    return timedelta(seconds=value)


@dataclass(frozen=True)
class MailSettings:
    from_address: str
    smtp: SmtpServer | None = None  # None: the development outbox
    retry_first: timedelta = timedelta(seconds=30)
    retry_longest: timedelta = timedelta(minutes=15)
    max_rejections: int = 3
    retention: timedelta = timedelta(days=7)

    @classmethod
    def from_env(cls, issuer: str) -> MailSettings:
        raw_url = os.environ.get("OAUTHAPPS_SMTP_URL", "").strip()
        raw_from = os.environ.get("OAUTHAPPS_MAIL_FROM", "").strip()
        try:
            from_address = check_recipient(raw_from, "OAUTHAPPS_MAIL_FROM") if raw_from else default_from_address(issuer)
        except ValidationFailed:
            raise ValueError("OAUTHAPPS_MAIL_FROM must be one plain email address (name@domain)") from None
        rejections = int(os.environ.get("OAUTHAPPS_MAIL_MAX_REJECTIONS") or 3)
        if not 1 <= rejections <= 100:
            raise ValueError("OAUTHAPPS_MAIL_MAX_REJECTIONS must be from 1 to 100")
        return cls(
            from_address=from_address,
            smtp=parse_smtp_url(raw_url) if raw_url else None,
            retry_first=_seconds("OAUTHAPPS_MAIL_RETRY_SECONDS", 30, 1, 3600),
            retry_longest=_seconds("OAUTHAPPS_MAIL_RETRY_MAX_SECONDS", 900, 1, 86_400),
            max_rejections=rejections,
            retention=_seconds("OAUTHAPPS_MAIL_RETENTION_SECONDS", 7 * 86_400, 60, 365 * 86_400),
        )

    def describe(self) -> str:
        """Where mails go, for the one line the server prints at start."""
        if self.smtp is None:
            return f"development outbox (no OAUTHAPPS_SMTP_URL): `oauthapps mail list` shows them; From {self.from_address}"
        return f"SMTP {self.smtp.describe()}; From {self.from_address}"
