"""PKCE (RFC 7636), S256 only: ``plain`` gives no protection against a stolen code (RFC 9700 2.1.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}$")  # base64url of a SHA-256 digest, no padding
SUPPORTED_METHODS = ("S256",)


def is_valid_challenge(challenge: object) -> bool:
    return isinstance(challenge, str) and bool(_CHALLENGE_RE.match(challenge))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: object, challenge: str) -> bool:
    if not isinstance(verifier, str) or not _VERIFIER_RE.match(verifier):
        return False
    return hmac.compare_digest(s256(verifier), challenge)
