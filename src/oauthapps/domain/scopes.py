"""Permission scopes of platform apps and what each management operation requires."""

from __future__ import annotations

from collections.abc import Iterable

from .errors import PermissionDenied

OAUTH_APP_MANAGE = "SCOPE.OAUTH_APP.MANAGE"
OAUTH_APP_READ = "SCOPE.OAUTH_APP.READ"
HEADLESS_MANAGE = "SCOPE.HEADLESS.MANAGE"
# An installed app that manages a project's members (the Members API as an admin).
MEMBERS_MANAGE = "SCOPE.MEMBERS.MANAGE"
# Reading the project's audit trail (the audit-log API) without managing anything.
AUDIT_LOG_READ = "SCOPE.AUDIT_LOG.READ"

KNOWN_SCOPES = frozenset({OAUTH_APP_MANAGE, OAUTH_APP_READ, HEADLESS_MANAGE, MEMBERS_MANAGE, AUDIT_LOG_READ})
# What each scope allows, in words (the owner console shows these beside the scope's id).
SCOPE_LABELS = {
    OAUTH_APP_MANAGE: "Manage OAuth Apps",
    OAUTH_APP_READ: "Read OAuth Apps",
    HEADLESS_MANAGE: "Manage Headless settings (OAuth Apps)",
    MEMBERS_MANAGE: "Manage members",
    AUDIT_LOG_READ: "Read the audit trail",
}


def scope_label(scope: str) -> str:
    """A scope in words; one this version does not know (stored by a newer one) as its id."""
    return SCOPE_LABELS.get(scope, scope)


WRITE_SCOPES = frozenset({OAUTH_APP_MANAGE, HEADLESS_MANAGE})
READ_SCOPES = WRITE_SCOPES | {OAUTH_APP_READ}
# Who changed what, by whom: the managers, and apps given the audit scope. Not OAUTH_APP.READ,
# which a site's template may hold only to read its own client.
AUDIT_READ_SCOPES = WRITE_SCOPES | {AUDIT_LOG_READ}


def require_any(granted: Iterable[str], accepted: frozenset[str], operation: str) -> None:
    if accepted.isdisjoint(granted):
        needed = " or ".join(sorted(accepted))
        raise PermissionDenied(f"{operation} needs the permission scope {needed}", data={"requiredScopes": sorted(accepted)})


def require_write(granted: Iterable[str], operation: str) -> None:
    require_any(granted, WRITE_SCOPES, operation)


def require_read(granted: Iterable[str], operation: str) -> None:
    require_any(granted, READ_SCOPES, operation)


def require_audit_read(granted: Iterable[str], operation: str) -> None:
    require_any(granted, AUDIT_READ_SCOPES, operation)
