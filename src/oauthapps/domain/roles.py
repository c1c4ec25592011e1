"""Who calls a project-data API (members, data): the role that collection permissions and the
members API decide by. Pure, so the data rules (domain/data_items.py) can use it."""

from __future__ import annotations

from enum import StrEnum


class CallerRole(StrEnum):
    """The caller's role; the values appear in error descriptions ("this caller is a visitor")."""

    VISITOR = "visitor"  # a visitor token
    MEMBER = "member"  # a signed-in member's token
    ADMIN = "admin"  # an OAuth app's admin token, an owner's API key, or the CLI
