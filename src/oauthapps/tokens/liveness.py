"""Is the authorisation behind a token still there? Checked on every use, so that deleting an
OAuth app, revoking a grant or uninstalling an app cuts its tokens off at once, on every worker
and node (the database is the shared truth; store/cached.py keeps this cheap)."""

from __future__ import annotations

from .. import clock
from ..domain import credentials
from ..domain.oauth_app import OAuthApp
from ..store import cached
from ..store.database import Database
from .access import AccessClaims, TokenKind


def _minting_secret_accepted(app: OAuthApp, claims: AccessClaims) -> bool:
    """An admin token is as good as the secret that minted it: rotating without grace ends it at
    once, rotating with grace when the grace ends. (The app row is cached, and evicted on every
    node through the change feed when the secret changes.) Tokens minted before tokens named
    their secret stay live only while the app is unchanged since they were minted."""
    if claims.secret_generation is None:
        return app.updated_at.timestamp() <= claims.issued_at
    accepted = app.accepted_secret_hashes(clock.now())
    return any(credentials.secret_generation(stored) == claims.secret_generation for stored in accepted)


async def is_live(db: Database, claims: AccessClaims) -> bool:
    if claims.kind == TokenKind.APP:
        if not claims.instance_id:
            return False
        inst = await cached.installation(db, claims.instance_id)
        return inst is not None and inst.app_id == claims.client_id and inst.project_id == claims.project_id
    if claims.kind == TokenKind.ADMIN:
        app = await cached.client(db, claims.client_id)
        return app is not None and app.project_id == claims.project_id and _minting_secret_accepted(app, claims)
    if not claims.grant_id:
        return False
    # Grants are deleted with their OAuth app (foreign-key cascade), so one lookup covers both.
    grant = await cached.grant(db, claims.grant_id)
    return (
        grant is not None and grant.revoked_at is None and grant.oauth_app_id == claims.client_id and grant.project_id == claims.project_id
    )
