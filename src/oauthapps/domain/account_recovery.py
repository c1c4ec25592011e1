"""Rules of the secrets that prove a member reads her mailbox: the password-reset link and the
email verification code. Pure: lifetimes, formats, and how a code is hashed.

A reset link carries a 256-bit random token (stored as its SHA-256, like every generated secret).
A verification code is six digits a person types, so it is not a secret on its own: it is kept as
an HMAC keyed by the 256-bit ``stateToken`` it belongs to (which is itself stored only as a hash),
so the table alone does not give the code away, and each code locks after a few wrong tries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta
from enum import StrEnum

RESET_LIFETIME = timedelta(hours=1)
CODE_LIFETIME = timedelta(minutes=15)
# How long one verification (its stateToken) may be given new codes; each code lives CODE_LIFETIME.
STATE_LIFETIME = timedelta(hours=1)
MAX_WRONG_CODES = 5
CODE_DIGITS = 6
RESET_TOKEN_PREFIX = "oarp_"
STATE_TOKEN_PREFIX = "oavs_"
MAX_TOKEN = 256
_CODE_RE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")


class RecoveryError(StrEnum):
    """Error codes of the reset and verification calls (ours: the SDK passes them through)."""

    CODE_INVALID = "VERIFICATION_CODE_INVALID"  # wrong code; the answer says how many tries are left
    CODE_EXPIRED = "VERIFICATION_CODE_EXPIRED"  # older than CODE_LIFETIME: request a new one
    CODE_LOCKED = "VERIFICATION_CODE_LOCKED"  # MAX_WRONG_CODES wrong tries: request a new one
    STATE_INVALID = "VERIFICATION_STATE_INVALID"  # unknown, used or expired stateToken


def is_code_format(code: object) -> bool:
    return isinstance(code, str) and bool(_CODE_RE.match(code))


def code_hash(state_token: str, code: str) -> str:
    return hmac.new(state_token.encode("utf-8"), code.encode("ascii"), hashlib.sha256).hexdigest()


def code_matches(state_token: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(state_token, code), stored_hash)


def is_token_shape(token: object, prefix: str) -> bool:
    """Bounded and with the right prefix: anything else is not looked up at all."""
    return isinstance(token, str) and token.startswith(prefix) and len(token) <= MAX_TOKEN
