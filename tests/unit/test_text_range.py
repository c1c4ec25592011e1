"""A prefix as a code-point range: every string with the prefix inside, every other one outside."""

from __future__ import annotations

import random

from oauthapps.domain.text_range import prefix_range

EDGES = ["", "a", "ab", "a\uffff", "\U0010ffff", "a\U0010ffff", "\U0010ffff\U0010ffff", "\ud7ff", "é", "zz"]


def _inside(text: str, prefix: str) -> bool:
    lower, upper = prefix_range(prefix)
    return text >= lower and (upper is None or text < upper)


def test_edges() -> None:
    assert prefix_range("ab") == ("ab", "ac")
    assert prefix_range("a\U0010ffff") == ("a\U0010ffff", "b")
    assert prefix_range("\U0010ffff") == ("\U0010ffff", None)
    assert prefix_range("\ud7ff") == ("\ud7ff", "\ue000")  # no surrogate as a bound
    assert prefix_range("") == ("", None)


def test_the_range_holds_exactly_the_strings_with_the_prefix() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "z", "é", "\ud7ff", "\ue000", "\uffff", "\U0010ffff", "0", "@"]
    words = [*EDGES, *("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(400))]
    for prefix in EDGES + words[:60]:
        for text in words:
            assert _inside(text, prefix) == text.startswith(prefix), (prefix, text)
