"""Posted forms: read with a size cap, every field single-valued and free of control characters
(a console rule on what a person types; the services keep their own rules), lists one entry per
line, and the services' field violations turned into errors shown beside each field."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..domain.errors import FieldViolation, PayloadTooLarge
from ..http.body import read_body

# Room for a few thousand lines of domains (the services allow 20 entries and say so inline).
FORM_LIMIT = 512 * 1024
MAX_FIELDS = 32
MULTILINE_ALLOWED = frozenset("\n\r\t")
MAX_PAGE = 10_000


class FormRejected(Exception):
    """The form as a whole cannot be read (too large, not UTF-8, repeated fields)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Form:
    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


async def read_form(request: Request, limit: int = FORM_LIMIT) -> Form:
    try:
        raw = await read_body(request, limit)
    except PayloadTooLarge:
        raise FormRejected("The form was larger than the console accepts.", 413) from None
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise FormRejected("The form could not be read.") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise FormRejected(f"The field {name!r} was sent more than once.")
        values[name] = value
    return Form(values)


def _has_control(text: str, multiline: bool) -> bool:
    for ch in text:
        if multiline and ch in MULTILINE_ALLOWED:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029":
            return True
    return False


def check_controls(form: Form, single_line: Iterable[str], multi_line: Iterable[str] = ()) -> None:
    """Record an error for each field holding control characters (a pasted escape sequence, a NUL)."""
    for name in single_line:
        if _has_control(form.get(name), multiline=False):
            form.add_error(name, "must not contain control characters or line breaks")
    for name in multi_line:
        if _has_control(form.get(name), multiline=True):
            form.add_error(name, "must not contain control characters")


def page_number(raw: str | None) -> int:
    """A list's ?page= value: 1 to MAX_PAGE, and 1 for anything else."""
    return min(int(raw), MAX_PAGE) if raw and raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def lines(text: str) -> list[str]:
    """One entry per non-empty line, trimmed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def violations_to_errors(form: Form, violations: Iterable[FieldViolation], fields: dict[str, str]) -> None:
    """Each violation beside its form field: ``fields`` maps a service field (its last path part,
    without an index) to the form field; an entry's index becomes its line number."""
    for v in violations:
        tail = v.field.rsplit(".", 1)[-1]
        name, _, index = tail.partition("[")
        target = fields.get(name)
        text = v.description
        if index.rstrip("]").isdigit():
            text = f"entry {int(index.rstrip(']')) + 1}: {text}"
        form.add_error(target or "form", text)
