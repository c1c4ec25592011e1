"""Console owners: their roles in a project, and when a console session ends. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is written at most this often, so browsing the console is not a write per page.
TOUCH_EVERY = timedelta(minutes=1)


class OwnerRole(StrEnum):
    """What an owner may do in one project: everything, or read only."""

    OWNER = "owner"
    VIEWER = "viewer"

    @property
    def can_change(self) -> bool:
        return self is OwnerRole.OWNER


@dataclass(frozen=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def session_live(times: SessionTimes, now: datetime) -> bool:
    """Live until idle for IDLE_TIMEOUT, and never past its absolute end."""
    return now < times.expires_at and now - times.last_seen_at < IDLE_TIMEOUT


def needs_touch(times: SessionTimes, now: datetime) -> bool:
    return now - times.last_seen_at >= TOUCH_EVERY
