"""The pure rules of reset links and verification codes."""

from __future__ import annotations

from oauthapps.domain.account_recovery import (
    RESET_TOKEN_PREFIX,
    STATE_TOKEN_PREFIX,
    code_hash,
    code_matches,
    is_code_format,
    is_token_shape,
)
from oauthapps.domain.credentials import generate_secret


def test_a_code_is_exactly_six_ascii_digits() -> None:
    assert is_code_format("012345")
    for bad in ("12345", "1234567", "12a456", "١٢٣٤٥٦", " 12345", 123456, None):
        assert not is_code_format(bad), bad


def test_a_code_hash_depends_on_its_state_token() -> None:
    state, other = generate_secret(STATE_TOKEN_PREFIX), generate_secret(STATE_TOKEN_PREFIX)
    stored = code_hash(state, "123456")
    assert code_matches(state, "123456", stored)
    assert not code_matches(state, "123457", stored)
    assert not code_matches(other, "123456", stored)  # the same code under another state
    assert "123456" not in stored


def test_token_shapes_are_bounded_and_prefixed() -> None:
    assert is_token_shape(generate_secret(RESET_TOKEN_PREFIX), RESET_TOKEN_PREFIX)
    assert not is_token_shape(generate_secret(STATE_TOKEN_PREFIX), RESET_TOKEN_PREFIX)
    assert not is_token_shape(RESET_TOKEN_PREFIX + "x" * 300, RESET_TOKEN_PREFIX)
    assert not is_token_shape(None, RESET_TOKEN_PREFIX)
