"""Idempotency keys: the rules of the ``Idempotency-Key`` request header (after the IETF draft
"The Idempotency-Key HTTP Header Field"), which makes a client's retry of a create safe.

A key names one attempt at one operation by one caller in one project. The first successful
answer is stored with it, in the same transaction as the write (services/idempotency.py); a
retry with the same key and the same body gets that answer again instead of a second write, and
the same key with a different body is refused. Keys are forgotten after ``LIFETIME``."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from enum import StrEnum
from typing import Any

import orjson

from .errors import Conflict, DomainError, FieldViolation, ValidationFailed

HEADER = "Idempotency-Key"
MAX_LENGTH = 255
LIFETIME = timedelta(hours=24)


class IdempotentOperation(StrEnum):
    """What a key was used for: part of what a retry must repeat exactly."""

    CREATE_OAUTH_APP = "createOAuthApp"
    INSERT_DATA_ITEM = "insertDataItem"


class KeyReused(DomainError):
    """The key was already used with another body (or for another operation)."""

    status = 422
    code = "IDEMPOTENCY_KEY_REUSED"


def key_reused() -> KeyReused:
    return KeyReused(
        f"This {HEADER} was already used with a different request; use a new key for a new request",
        data={"header": HEADER},
    )


def key_in_use() -> Conflict:
    """A request with the same key was being written at the same moment and did not finish."""
    return Conflict(f"A request with this {HEADER} is in progress; retry it in a moment", code="IDEMPOTENCY_KEY_IN_USE")


def parse_key(raw: str | None) -> str | None:
    """The key a request carries, or None without the header: 1 to 255 printable ASCII
    characters (space to tilde), as the header's value."""
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_LENGTH or not all(" " <= ch <= "~" for ch in raw):
        raise ValidationFailed([FieldViolation(HEADER, f"must be 1 to {MAX_LENGTH} printable ASCII characters", "FORMAT")])
    return raw


def fingerprint(operation: IdempotentOperation, body: Any) -> str:
    """What "the same request" means: the operation and the JSON body, compared as JSON values
    (key order and whitespace do not matter)."""
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(operation.encode() + b"\n" + canonical).hexdigest()
