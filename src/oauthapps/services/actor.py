"""Who is calling: resolved once per request by the HTTP layer (or given by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    """Who acts on the management API; stored as the audit trail's ``actor_type``."""

    APP = "app"  # an installed platform app, with the scopes of its installation
    API_KEY = "api_key"  # the project owner's API key
    CLI = "cli"  # the owner on the machine
    CONSOLE = "console"  # an owner signed in to the console; the actor id is the owner's id
    # Any other access token (a visitor's, a member's, an OAuth app's admin token). It carries
    # no management scopes, so it is refused before anything is written to the audit trail.
    OTHER_TOKEN = "other_token"


@dataclass(frozen=True)
class Actor:
    project_id: str
    scopes: frozenset[str]
    kind: ActorKind
    id: str
    request_id: str | None = None
