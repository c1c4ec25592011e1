"""One rule for showing text that came from outside (names, paths, emails) to a person, on a
terminal or in a log: every character that could recolour the terminal, move the cursor, forge a
line or reorder or hide what a reader sees is written as a Python-style escape (``\\x1b``,
``\\u202e``). The CLI's human views use :func:`terminal_safe`; the access log uses
:func:`log_field`, the same rule plus the two characters a log line's layout depends on."""

from __future__ import annotations

import unicodedata

# Control characters (C0, DEL, C1), format characters (bidi overrides and isolates, zero-width
# characters, soft hyphen, tags), lone surrogates (undecodable bytes from argv) and the line and
# paragraph separators: none of them should reach a reader as themselves.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}
# In a log field also the space (fields are space-separated) and the backslash (so that an escape
# in the log never reads the same as the text sent).
_LOG_LAYOUT = frozenset(" \\")


def _escape_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _ESCAPED_CATEGORIES


def terminal_safe(text: str) -> str:
    """The text with every control, format and separator character written as an escape."""
    if text.isprintable():  # the common case: nothing to escape (isprintable is stricter than we are)
        return text
    return "".join(_escape_char(ch) if _unsafe(ch) else ch for ch in text)


def log_field(text: str) -> str:
    """:func:`terminal_safe`, and the space and backslash escaped too: one space-separated field
    of a log line, which a request's path can neither split nor end. The usual field (a method, a
    path, a request id) has nothing to escape and comes back as it is, checked in C."""
    if text.isprintable() and " " not in text and "\\" not in text:
        return text
    return "".join(_escape_char(ch) if ch in _LOG_LAYOUT or _unsafe(ch) else ch for ch in text)
