"""Rules of outgoing mail that need no I/O: statuses, templates, address and sender-name checks,
and the retry schedule."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

from .errors import FieldViolation, ValidationFailed

# The same shape the member accounts accept (services/member_accounts.py): one @, no spaces.
_ADDRESS_RE = re.compile(r"^[^@\s\x00-\x1f\x7f<>,;\"]{1,64}@[^@\s\x00-\x1f\x7f<>,;\"\[\]]+\.[^@\s\x00-\x1f\x7f<>,;\"\[\]]+$")
MAX_ADDRESS = 320
MAX_SENDER_NAME = 100


class MailStatus(StrEnum):
    """Where an outbox row is: waiting (or retrying), accepted by the mail server, given up after
    permanent rejections, or kept in the development outbox because no mail server is configured."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEV = "dev"


class MailTemplate(StrEnum):
    """The mails the platform writes; each has ``NAME.subject.txt``, ``NAME.txt`` and ``NAME.html``
    under web/templates/mail/."""

    TEST = "test"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"


def check_recipient(address: str, field: str = "to") -> str:
    """The address, trimmed; one plain addr-spec only (no display name, list or header injection)."""
    trimmed = address.strip()
    if len(trimmed) > MAX_ADDRESS or not _ADDRESS_RE.match(trimmed):
        raise ValidationFailed([FieldViolation(field, "must be a valid email address", "FORMAT", {"type": "EMAIL"})])
    return trimmed


def check_sender_name(name: str, field: str = "mailSenderName") -> str:
    """A display name for the From header: printable, one line, 1 to 100 characters."""
    trimmed = name.strip()
    if not 1 <= len(trimmed) <= MAX_SENDER_NAME or not trimmed.isprintable():
        raise ValidationFailed([FieldViolation(field, f"must be 1 to {MAX_SENDER_NAME} printable characters", "FORMAT")])
    return trimmed


def retry_delay(attempts: int, first: timedelta, longest: timedelta) -> timedelta:
    """Exponential backoff: ``first`` after the first failed attempt, doubling, never over ``longest``."""
    if attempts <= 1:
        return min(first, longest)
    factor: int = 2 ** min(attempts - 1, 30)
    return min(first * factor, longest)
