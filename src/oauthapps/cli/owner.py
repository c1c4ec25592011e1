"""The CLI acts as a project's owner: the identity it acts under, and the check that the project exists."""

from __future__ import annotations

import os

from ..domain.errors import NotFound
from ..domain.roles import CallerRole
from ..http.auth import ALL_OWNER_SCOPES
from ..services.actor import Actor, ActorKind
from ..services.callers import Caller
from ..store import tenancy as tenancy_repo
from ..store.database import Database


def owner_actor(project_id: str) -> Actor:
    """The owner as the OAuth apps service sees it; the audit trail names the local user."""
    return Actor(project_id, ALL_OWNER_SCOPES, ActorKind.CLI, f"cli:{os.environ.get('USER', 'owner')}")


def owner_caller(project_id: str) -> Caller:
    """The owner as the data service sees it: an admin of the project."""
    return Caller(project_id, CallerRole.ADMIN, "cli")


async def require_project(db: Database, project_id: str) -> None:
    """A clear PROJECT_NOT_FOUND instead of an empty list or "OAuth app not found"."""
    async with db.read() as conn:
        if await tenancy_repo.get_project(conn, project_id) is None:
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
