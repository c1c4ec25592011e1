"""The wall clock: every "now" the server stores, compares or signs comes from here, so that a
test can stop time (``frozen``) and step it past an expiry instead of sleeping.

Durations measured within one process (timeouts, refresh intervals) use ``time.monotonic`` and
are not the wall clock's business."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass
class _Setting:
    """Where "now" comes from. None means the system clock: checked on every call rather than
    replaced by a default function, so the usual case costs one comparison and reads the system
    clock in its cheapest form."""

    source: Callable[[], datetime] | None = None


_setting = _Setting()


def now() -> datetime:
    """Now, in UTC (an aware datetime)."""
    source = _setting.source
    return datetime.now(UTC) if source is None else source()


def now_to_the_millisecond() -> datetime:
    """Now, cut to whole milliseconds: the wire shows dates with milliseconds, so a stored date
    with microseconds would not equal (and would sort after) the value a client filters with."""
    at = now()
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def timestamp() -> float:
    """Now as Unix seconds (JWT claims, log lines)."""
    source = _setting.source
    return time.time() if source is None else source().timestamp()


def micros() -> int:
    """Now as integer Unix microseconds (how the busiest rows store their dates)."""
    source = _setting.source
    return time.time_ns() // 1000 if source is None else (source() - _EPOCH) // _MICROSECOND


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Read "now" from ``source`` (which must answer aware datetimes) or, with None, from the
    system clock again."""
    _setting.source = source


@dataclass
class FrozenClock:
    """A clock that stands still at ``at`` until moved by hand."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


@contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    """Stop the clock at ``at`` (aware) for the block; the system clock resumes after it."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("frozen() needs an aware datetime")
    clock = FrozenClock(at.astimezone(UTC))
    previous = _setting.source
    set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)
