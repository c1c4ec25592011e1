"""Who is calling a project-data API (members, data): a visitor, a member, or an admin."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.roles import CallerRole


@dataclass(frozen=True)
class Caller:
    project_id: str
    role: CallerRole
    subject_id: str  # visitor id, member id, OAuth app id or API key id
    client_id: str | None = None

    @property
    def member_id(self) -> str | None:
        return self.subject_id if self.role == CallerRole.MEMBER else None
