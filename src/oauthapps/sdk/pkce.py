"""PKCE (RFC 7636) on the client side: a random code verifier and its S256 challenge. The login
redirect sends the challenge; the code exchange proves possession with the verifier."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string

VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 43  # the JS SDK's length; RFC 7636 allows 43 to 128


def code_verifier() -> str:
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def code_challenge(verifier: str) -> str:
    """S256: base64url(SHA-256(verifier)) without padding (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
