"""The one escaping rule (text_safety.py): the CLI's human views and the access log show the same
characters escaped the same way; a log field also escapes what its layout depends on."""

from __future__ import annotations

import pytest

from oauthapps.text_safety import log_field, terminal_safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\n", "\\n"),
        ("\x1b[31m", "\\x1b[31m"),
        ("\x85", "\\x85"),
        ("\u2028", "\\u2028"),
        ("\u202e", "\\u202e"),
        ("\u00ad", "\\xad"),
        ("\U000e0041", "\\U000e0041"),
    ],
)
def test_both_escape_controls_format_characters_and_separators_alike(raw: str, shown: str) -> None:
    assert terminal_safe(f"a{raw}b") == log_field(f"a{raw}b") == f"a{shown}b"


def test_a_log_field_also_escapes_the_space_and_the_backslash() -> None:
    assert log_field("a b\\n") == "a\\x20b\\\\n"
    assert terminal_safe("a b\\n") == "a b\\n"  # people read spaces; the CLI shows them


def test_ordinary_text_comes_back_as_it_is() -> None:
    for text in ("/oauth2/token", "GET", "0f3a9c2e", "/wix-data/v2/items/é-ü-中"):
        assert log_field(text) is text
        assert terminal_safe(text) is text
