"""The Authlib reference peer of ``make bench``: Authlib's own Flask ``AuthorizationServer`` with the
client_credentials grant only, clients in memory, RFC 9068 JWT access tokens signed ES256 (the same
token shape and algorithm our server mints), served by gunicorn (gthread workers).

bench/run.py starts it as::

    gunicorn --workers 2 --worker-class gthread --threads 8 --bind 127.0.0.1:PORT \
        'bench.peers.authlib_server:create_app()'

Environment: BENCH_CLIENTS (JSON list of {"client_id", "client_secret"}), BENCH_TOKEN_SECONDS,
BENCH_SIGNING_JWK (a private P-256 JWK shared by all workers; generated when absent).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import Flask
from joserfc.jwk import ECKey, KeySet

ISSUER = "http://127.0.0.1"
AUDIENCE = "urn:oauthapps:bench"


class Client(ClientMixin):
    """An in-memory confidential client; the secret is kept as SHA-256 like ours."""

    def __init__(self, client_id: str, secret: str):
        self.client_id = client_id
        self.secret_hash = hashlib.sha256(secret.encode()).hexdigest()

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return "read" if scope and "read" in scope.split() else ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(client_secret.encode()).hexdigest(), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012 (Authlib reads a list)


class TokenGenerator(JWTBearerTokenGenerator):
    def __init__(self, keyset: KeySet, lifetime: int):
        super().__init__(ISSUER, alg="ES256", expires_generator=lambda _client, _grant_type: lifetime)
        self._keyset = keyset

    def get_jwks(self) -> KeySet:
        return self._keyset

    def get_audiences(self, client: Any, user: Any, scope: Any) -> str:
        return AUDIENCE


def _keyset() -> KeySet:
    raw = os.environ.get("BENCH_SIGNING_JWK")
    if raw:
        key = ECKey.import_key(json.loads(raw))
    else:
        key = ECKey.generate_key("P-256", parameters={"alg": "ES256", "use": "sig"}, private=True)
        key.ensure_kid()
    return KeySet([key])


def create_app() -> Flask:
    clients = {c["client_id"]: Client(c["client_id"], c["client_secret"]) for c in json.loads(os.environ.get("BENCH_CLIENTS", "[]"))}
    lifetime = int(os.environ.get("BENCH_TOKEN_SECONDS", "14400"))
    app = Flask(__name__)
    server = AuthorizationServer(app, query_client=clients.get, save_token=lambda _token, _request: None)
    server.register_grant(ClientCredentialsGrant)
    server.register_token_generator("client_credentials", TokenGenerator(_keyset(), lifetime))

    @app.post("/oauth/token")
    def token() -> Any:
        return server.create_token_response()

    return app
