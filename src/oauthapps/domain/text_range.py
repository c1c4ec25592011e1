"""A text prefix as a range of code-point-ordered strings, so a prefix search is one index range
read (``lower <= text < upper``) rather than a scan that tests every row. Pure."""

from __future__ import annotations

MAX_CODE_POINT = 0x10FFFF
SURROGATES = range(0xD800, 0xE000)


def _next_char(ch: str) -> str | None:
    """The code point after ``ch`` that a string may hold (no surrogates), or None after the last."""
    code = ord(ch) + 1
    if code in SURROGATES:
        code = SURROGATES.stop
    return chr(code) if code <= MAX_CODE_POINT else None


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """``(lower, upper)``: every string starting with ``prefix`` is ``>= lower`` and, when upper is
    not None, ``< upper``; no other string is in the range. Compared by code point."""
    for cut in range(len(prefix), 0, -1):
        after = _next_char(prefix[cut - 1])
        if after is not None:
            return prefix, prefix[: cut - 1] + after
    return prefix, None
