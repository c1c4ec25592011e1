"""client_credentials (RFC 6749 4.4) in its two forms:

- with ``instance_id``: an installed platform app gets an app token for that installation's
  project, carrying the scopes the installation was granted (the Wix app flow);
- without: an OAuth app authenticates with its own secret and gets an admin token for its project
  (Wix Headless admin calls). Admin tokens carry no management scopes: an OAuth app cannot
  manage OAuth apps. They name the secret that minted them (``sgen``), so that they end with it
  (tokens/liveness.py).
"""

from __future__ import annotations

from typing import Any

from ...domain import credentials
from ...runtime import Runtime
from ...services.oauth_apps import matching_secret_hash
from ...store import tenancy
from ...tokens.access import TokenKind
from ..clients import DUMMY_HASH, authenticate_client
from ..errors import invalid_client, invalid_grant
from ..params import require


async def grant(params: dict[str, str], runtime: Runtime, _client_address: str) -> dict[str, Any]:
    client_id = require(params, "client_id")
    secret = require(params, "client_secret")
    instance_id = params.get("instance_id")
    lifetime = runtime.settings.access_token_seconds
    if instance_id:
        async with runtime.db.read() as conn:
            app = await tenancy.get_platform_app(conn, client_id)
            ok = credentials.secret_matches(secret, app.secret_hash if app else DUMMY_HASH)
            if app is None or not ok:
                raise invalid_client()
            inst = await tenancy.get_installation(conn, instance_id)
        if inst is None or inst.app_id != app.id:
            raise invalid_grant("The app is not installed under this instance_id")
        token, _ = runtime.tokens.mint(
            kind=TokenKind.APP,
            subject=inst.id,
            project_id=inst.project_id,
            client_id=app.id,
            scopes=tuple(inst.scopes),
            instance_id=inst.id,
            lifetime=lifetime,
        )
    else:
        oauth_app = await authenticate_client(params, runtime, secret_required=True)
        matched = matching_secret_hash(oauth_app, secret)
        if matched is None:  # its grace period ended since authenticate_client looked
            raise invalid_client()
        token, _ = runtime.tokens.mint(
            kind=TokenKind.ADMIN,
            subject=oauth_app.id,
            project_id=oauth_app.project_id,
            client_id=oauth_app.id,
            lifetime=lifetime,
            secret_generation=credentials.secret_generation(matched),
        )
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
