"""``oauthapps keys``: token signing keys."""

from __future__ import annotations

import typer

from ..config import ACCESS_TOKEN_SECONDS
from ..tokens import keys as signing_keys
from .output import emit, message
from .runner import DatabaseOpt, JsonOpt, run

group = typer.Typer(help="Token signing keys.", no_args_is_help=True)


@group.command("rotate")
def keys_rotate(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Start signing with a new key; old public keys stay in the JWKS until their tokens expire."""
    kid = run(database, lambda db: signing_keys.rotate(db, ACCESS_TOKEN_SECONDS))
    emit({"kid": kid}, as_json, message("New signing key {}; running servers pick it up within 30 s.", kid))
