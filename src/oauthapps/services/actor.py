"""Who is calling: resolved once per request by the HTTP layer (or given by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    project_id: str
    scopes: frozenset[str]
    kind: str  # "app" (installed platform app), "api_key" (owner), "cli" (owner on the machine)
    id: str
    request_id: str | None = None

    @property
    def principal(self) -> str:
        """Who made the request, as an Idempotency-Key is kept for (services/idempotency.py)."""
        return f"{self.kind}:{self.id}"
