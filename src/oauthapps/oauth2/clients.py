"""Finding the OAuth app a request names as its client, and checking its secret when one is sent."""

from __future__ import annotations

from .. import logs
from ..domain import credentials
from ..domain.oauth_app import OAuthApp
from ..runtime import Runtime
from ..services.oauth_apps import client_secret_matches
from ..store import cached
from .errors import invalid_client
from .params import require

# Compared against when the client is unknown, so both failures cost about the same.
DUMMY_HASH = credentials.hash_secret("unknown-client")


async def authenticate_client(params: dict[str, str], runtime: Runtime, *, secret_required: bool = False) -> OAuthApp:
    """Public clients send only client_id; a client that also sends a secret must send the right one."""
    client_id = require(params, "client_id")
    secret = params.get("client_secret")
    app = await cached.client(runtime.db, client_id)
    if app is None:
        if secret is not None:
            credentials.secret_matches(secret, DUMMY_HASH)  # same cost as a real check
        raise invalid_client("Unknown client_id, or the OAuth app was deleted")
    if secret is None:
        if secret_required:
            raise invalid_client("This request needs the client secret")
    elif not client_secret_matches(app, secret):
        raise invalid_client()
    logs.note_caller(app.project_id, app.id)
    return app
