"""The key encryption key's format (tokens/key_encryption.py): what an operator may write in
OAUTHAPPS_KEY_ENCRYPTION_KEY."""

from __future__ import annotations

import base64
import os

import pytest

from oauthapps.tokens.key_encryption import parse_kek


def new_kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_the_key_encryption_key_must_be_32_bytes_of_base64() -> None:
    assert len(parse_kek(new_kek())) == 32
    assert len(parse_kek(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))) == 32
    for bad in ("", "not base64!", base64.b64encode(os.urandom(16)).decode()):
        with pytest.raises(Exception, match="must be 32 random bytes in base64"):
            parse_kek(bad)
