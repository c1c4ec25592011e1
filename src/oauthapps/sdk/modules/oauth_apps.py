"""The OAuth Apps API (``/oauth-app/v1/oauth-apps``): an installed app with
``SCOPE.OAUTH_APP.MANAGE`` (:class:`AppStrategy`) or an owner's API key manages a project's
OAuth apps. Entities are returned as on the wire (``id``, ``createdDate``), not renamed to
``_id`` as the JS SDK does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast
from urllib.parse import quote

from ..dual_mode import operation
from ..http_calls import call
from ..operations import M, Op
from .base import Module, ModuleSpec
from .query import QueryBuilder, QueryTarget

PATH = "/oauth-app/v1/oauth-apps"


class OAuthApp(TypedDict, total=False):
    """An OAuth app; ``id`` is its client ID. ``secret`` is present once, in the create answer."""

    id: str
    createdDate: str
    updatedDate: str
    name: str
    description: str
    secret: str
    loginUrl: str
    logoutUrl: str
    allowedRedirectUris: list[str]
    allowedRedirectDomains: list[str]
    allowedDomains: list[str]
    allowSecretGeneration: bool
    applicationType: str
    technology: str
    wixPagesDomainsMappings: list[dict[str, str]]
    redirectUrlWixPages: str
    refreshTokenRotation: bool
    requireExactRedirectUri: bool


def _app(raw: dict[str, Any]) -> OAuthApp:
    return cast(OAuthApp, raw)


def _one(answer: dict[str, Any]) -> OAuthApp:
    return _app(answer.get("oAuthApp") or {})


def _path(app_id: str, suffix: str = "") -> str:
    return f"{PATH}/{quote(app_id, safe='')}{suffix}"


QUERY_RENAMES = {"_id": "id", "_createdDate": "createdDate"}
AUDIT_LOG_PATH = "/audit-log/v1/entries"


class AuditLogPage(TypedDict):
    """One page of the audit log, newest first; ``next_cursor`` is None on the last page."""

    entries: list[dict[str, Any]]
    next_cursor: str | None


class OAuthAppsModule(Module[M]):
    """Create, read, query, update, delete OAuth apps and manage their secrets."""

    @operation
    def create(self, app: Mapping[str, Any]) -> Op[OAuthApp]:
        """``name`` is required. The answer carries the ``secret`` once, unless
        ``allowSecretGeneration`` is true (then call ``generate_secret`` when needed)."""
        return _one((yield from call(self.context, "POST", PATH, json={"oAuthApp": dict(app)})))

    @operation
    def get(self, app_id: str) -> Op[OAuthApp]:
        return _one((yield from call(self.context, "GET", _path(app_id), params={"oAuthAppId": app_id})))

    def query(self) -> QueryBuilder[M, OAuthApp]:
        """Filter on ``id``, ``name`` (also ``starts_with``) and ``createdDate``; sort on them."""
        return QueryBuilder(self.context, QueryTarget(f"{PATH}/query", "oAuthApps", _app, renames=QUERY_RENAMES))

    @operation
    def update(self, app_id: str, fields: Mapping[str, Any], mask: Sequence[str] | None = None) -> Op[OAuthApp]:
        """Change the fields named in ``mask`` (default: the keys of ``fields``); a masked
        field missing from ``fields`` is cleared."""
        names = list(fields) if mask is None else list(mask)
        body = {"oAuthApp": {**fields, "id": app_id}, "mask": ",".join(names)}
        return _one((yield from call(self.context, "PATCH", _path(app_id), json=body)))

    @operation
    def delete(self, app_id: str) -> Op[None]:
        """Its client ID and every token issued through it stop working at once."""
        yield from call(self.context, "DELETE", _path(app_id), params={"oAuthAppId": app_id})

    @operation
    def generate_secret(self, app_id: str) -> Op[str]:
        """The first secret of an app created with ``allowSecretGeneration``; only once."""
        answer = yield from call(self.context, "POST", _path(app_id, "/generate-secret"), json={"oAuthAppId": app_id})
        return str(answer["oAuthAppSecret"])

    @operation
    def rotate_secret(self, app_id: str, grace_period_seconds: int = 0) -> Op[str]:
        """A new secret; the old one keeps working for ``grace_period_seconds``."""
        body = {"gracePeriodSeconds": grace_period_seconds}
        answer = yield from call(self.context, "POST", _path(app_id, "/rotate-secret"), json=body)
        return str(answer["oAuthAppSecret"])

    @operation
    def audit_log(
        self,
        *,
        o_auth_app_id: str | None = None,
        actor_type: str | None = None,
        actor_id: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Op[AuditLogPage]:
        """Who changed which OAuth app, newest first (``GET /audit-log/v1/entries``); needs
        ``SCOPE.AUDIT_LOG.READ`` or a manage scope. For the next page pass ``cursor`` (it carries
        the filters) and no filters."""
        wanted = {
            "oAuthAppId": o_auth_app_id,
            "actorType": actor_type,
            "actorId": actor_id,
            "action": action,
            "from": since,
            "to": until,
            "limit": None if limit is None else str(limit),
            "cursor": cursor,
        }
        params = {k: v for k, v in wanted.items() if v is not None}
        answer = yield from call(self.context, "GET", AUDIT_LOG_PATH, params=params)
        cursors = (answer.get("pagingMetadata") or {}).get("cursors") or {}
        return AuditLogPage(entries=list(answer.get("entries") or []), next_cursor=cursors.get("next"))


oauth_apps = ModuleSpec("oauth_apps", OAuthAppsModule)
