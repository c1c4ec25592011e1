"""Every id the server makes, one function per format. Formats never change: ids are stored,
sent on the wire and compared as text.

``str(uuid.uuid4())`` costs a few microseconds in ``UUID.__init__`` and ``__str__``; formatting
the random bytes directly gives the same text (version and variant bits included) for a fraction,
which matters for rows written at request rate (visitor grants). A grant id is no secret (access
tokens carry it): a time-ordered UUIDv7 keeps inserts at the end of the primary-key and
foreign-key indexes instead of touching a random page per row."""

from __future__ import annotations

import os

from . import clock

# The RFC 4122 variant: the top two bits of the 17th hex digit are 10.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def random_uuid() -> str:
    """The text of a version 4 UUID (122 random bits), as ``str(uuid.uuid4())``: most row ids."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def random_uuid_hex() -> str:
    """A version 4 UUID as 32 hex digits without dashes, as ``uuid.uuid4().hex``: data item ids."""
    h = os.urandom(16).hex()
    return f"{h[:12]}4{h[13:16]}{_VARIANT[h[16]]}{h[17:]}"


def time_ordered_uuid() -> str:
    """The text of a version 7 UUID: 48 bits of Unix milliseconds, then 74 random bits."""
    h = f"{clock.micros() // 1000:012x}{os.urandom(10).hex()}"
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def signing_key_id() -> str:
    """A signing key's ``kid``: the first 16 hex digits of a version 4 UUID."""
    return random_uuid_hex()[:16]


def random_hex(n_bytes: int) -> str:
    """``n_bytes`` random bytes as hex: request ids, JWT ids, notification tokens."""
    return os.urandom(n_bytes).hex()
