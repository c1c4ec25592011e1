"""What the server leaves on disk: the SQLite files and their directory private to their owner,
and the signing keys encrypted (AES-256-GCM) under a key that is not in the database, on both
engines, with keys stored in plain text by earlier versions sealed in place on start and the
tokens they signed still accepted."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey
from sqlalchemy import insert, select

from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade
from oauthapps.store.schema import signing_keys
from oauthapps.tokens.access import TokenIssuer, TokenKind
from oauthapps.tokens.key_encryption import ENV, KEY_FILE_NAME, PREVIOUS_ENV, SEALED_PREFIX, sealer_for
from oauthapps.tokens.keys import SigningKeys

from ..support.servers import fresh_database, running_server
from ..support.tenants import run_db

ISSUER = "https://keys.at-rest.test"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def new_kek() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def stored_keys(db: Database) -> dict[str, str]:
    async with db.read() as conn:
        return {row.kid: row.private_jwk for row in await conn.execute(select(signing_keys))}


def private_scalars(url: str, environ: dict[str, str]) -> dict[str, str]:
    """Each stored key's private scalar ``d``, opened the way the server opens it."""
    sealer = sealer_for(url, environ)
    rows = run_db(url, stored_keys)
    return {kid: json.loads(sealer.open(kid, stored))["d"] for kid, stored in rows.items()}


def token_info(base_url: str, token: str) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/oauth2/token-info", json={"token": token}, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_new_sqlite_database_is_private_and_its_keys_are_sealed(tmp_path: Path) -> None:
    data = tmp_path / "fresh-data-dir"
    url = f"sqlite:///{data / 'oauthapps.db'}"
    unset = {ENV: "", PREVIOUS_ENV: ""}
    with running_server(url, tmp_path, extra_env={"OAUTHAPPS_DATA_DIR": str(data), **unset}) as server:
        # The variable was not set: the server made a key file and said so.
        assert f"{ENV} is not set" in " ".join(server.log().split())
        project = run_db(url, lambda db: tenancy.create_project(db, "Files"))
        made = run_db(url, lambda db: tenancy.create_app(db, "Files app", []))
        instance = run_db(url, lambda db: tenancy.install(db, made.app_id, project.project_id))
        response = httpx.post(
            f"{server.base_url}/oauth2/token",
            json={"grant_type": "client_credentials", "client_id": made.app_id, "client_secret": made.app_secret, "instance_id": instance},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        files = sorted(p.name for p in data.iterdir())
        assert {"oauthapps.db", "oauthapps.db-wal", "oauthapps.db-shm", KEY_FILE_NAME} <= set(files), files
        assert mode(data) == 0o700
        assert {name: mode(data / name) for name in files} == dict.fromkeys(files, 0o600)

        rows = run_db(url, stored_keys)
        assert rows and all(stored.startswith(SEALED_PREFIX) for stored in rows.values())
        secrets_d = private_scalars(url, unset)
        on_disk = b"".join((data / name).read_bytes() for name in files if name.startswith("oauthapps.db"))
        assert [kid for kid, d in secrets_d.items() if d.encode() in on_disk] == []
        assert b'"d":' not in on_disk
        assert token_info(server.base_url, response.json()["access_token"])["active"] is True


def test_postgresql_without_the_key_encryption_key_refuses_to_start(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OAUTHAPPS_")}
        done = subprocess.run(
            [sys.executable, "-m", "oauthapps.cli", "serve", "--port", "1", "--database", url],
            env={**env, "OAUTHAPPS_DATA_DIR": str(tmp_path / "data")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done
        message = " ".join(done.stderr.split())
        assert f"{ENV} is not set" in message and "openssl rand -base64 32" in message
        assert run_db(url, stored_keys) == {}  # nothing was written in plain text meanwhile


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, str]]:
    """A database as an earlier version left it: its signing key in plain text. Yields the URL,
    an app token signed with that key before the upgrade, and the key's private scalar."""
    monkeypatch.setenv(ENV, new_kek())  # never used to seal here: the row below is in plain text
    with fresh_database(request.param, tmp_path) as url:
        upgrade(url)
        kid = uuid.uuid4().hex[:16]
        key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"}, private=True)
        plain = json.dumps(key.as_dict(private=True))

        async def seed(db: Database) -> str:
            async with db.transaction() as conn:
                await conn.execute(insert(signing_keys).values(kid=kid, alg="ES256", private_jwk=plain, created_at=datetime.now(UTC)))
            project = await tenancy.create_project(db, "Old")
            made = await tenancy.create_app(db, "Old app", [])
            instance = await tenancy.install(db, made.app_id, project.project_id)
            keys = SigningKeys(db)
            await keys.load()  # a row in plain text still opens
            token, _ = TokenIssuer(keys, ISSUER).mint(
                kind=TokenKind.APP,
                subject=instance,
                project_id=project.project_id,
                client_id=made.app_id,
                lifetime=600,
                instance_id=instance,
            )
            return token

        yield url, run_db(url, seed), str(key.as_dict(private=True)["d"])


def test_keys_stored_in_plain_text_are_sealed_on_start_and_old_tokens_still_verify(
    old_database: tuple[str, str, str], tmp_path: Path
) -> None:
    url, old_token, d = old_database
    first, second = new_kek(), new_kek()
    for node in "abc":
        (tmp_path / node).mkdir()
    env = {"OAUTHAPPS_ISSUER": ISSUER, ENV: first}
    with running_server(url, tmp_path / "a", extra_env=env) as server:
        assert token_info(server.base_url, old_token)["active"] is True
    rows = run_db(url, stored_keys)
    assert len(rows) == 1 and all(stored.startswith(SEALED_PREFIX) and d not in stored for stored in rows.values())
    if url.startswith("sqlite"):  # and not in the file's free pages or WAL either
        db_path = Path(url.removeprefix("sqlite:///"))
        on_disk = b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*") if p.is_file())
        assert d.encode() not in on_disk

    # Replacing the KEK: the old one as previous, and the rows are sealed again with the new one.
    with running_server(url, tmp_path / "b", extra_env={**env, ENV: second, PREVIOUS_ENV: first}) as server:
        assert token_info(server.base_url, old_token)["active"] is True
    resealed = run_db(url, stored_keys)
    assert resealed.keys() == rows.keys() and all(resealed[kid] != rows[kid] for kid in rows)
    assert private_scalars(url, {ENV: second}) == dict.fromkeys(rows, d)

    # A server given a wrong KEK says which key it needs instead of starting.
    with (
        pytest.raises(RuntimeError, match=r"encrypted with another key\s+encryption key"),
        running_server(url, tmp_path / "c", extra_env=env),
    ):
        pass
