"""SIGTERM drains: the server stops accepting, answers every request that reached it (those sent on
idle keep-alive connections just before or during the shutdown included), closes keep-alive
connections cleanly (``Connection: close`` on the last answer, then a FIN, never a reset), writes
its last batches (visitor grants, the access log) and exits 0.

Under load: a few keep-alive clients create OAuth apps and visitor grants while the server gets
SIGTERM. A client stops when the server refuses its connection; any other failure is a request
that reached the server and was dropped. Every acknowledged write must be in the database."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
from sqlalchemy import select

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.schema import grants, oauth_apps

from ..support.servers import Server, running_server
from ..support.tenants import app_token, run_db

BASE = "/oauth-app/v1/oauth-apps"
CLIENTS = 8
MAX_REQUESTS_PER_CLIENT = 3000  # a bound: a client normally stops long before, refused by the stopped server
ACKNOWLEDGED_BEFORE_SIGTERM = 60


@dataclass
class Outcomes:
    apps: list[str] = field(default_factory=list)  # OAuth app ids whose create was answered 200
    grants: list[str] = field(default_factory=list)  # visitor grant ids whose token was answered 200
    request_ids: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    refused: int = 0  # clients that ended on a refused connection (the server had stopped listening)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def acknowledged(self) -> int:
        return len(self.apps) + len(self.grants)


def _claims(access_token: str) -> dict[str, Any]:
    payload = access_token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _client(base_url: str, headers: dict[str, str], client_id: str, outcomes: Outcomes, stop: threading.Event) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:  # keep-alive: one connection, reused
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if stop.is_set():
                return
            try:
                if i % 2:
                    response = http.post(BASE, headers=headers, json={"oAuthApp": {"name": f"Drain {i}"}})
                else:
                    response = http.post("/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"})
            except httpx.ConnectError:
                with outcomes.lock:
                    outcomes.refused += 1
                return
            except httpx.HTTPError as exc:
                with outcomes.lock:
                    outcomes.failures.append(f"{type(exc).__name__}: {exc}")
                return
            with outcomes.lock:
                if response.status_code != 200:
                    outcomes.failures.append(f"{response.status_code}: {response.text[:200]}")
                    return
                outcomes.request_ids.append(response.headers["x-wix-request-id"])
                if i % 2:
                    outcomes.apps.append(response.json()["oAuthApp"]["id"])
                else:
                    outcomes.grants.append(_claims(response.json()["access_token"])["gid"])


def _tenant(server: Server) -> tuple[dict[str, str], str]:
    async def setup(db: Database) -> tuple[Any, str]:
        project = await tenancy.create_project(db, "Drain")
        app = await tenancy.create_app(db, "Manager", [OAUTH_APP_MANAGE])
        return app, await tenancy.install(db, app.app_id, project.project_id)

    app, instance = run_db(server.database_url, setup)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        headers = {"Authorization": app_token(http, app.app_id, app.app_secret, instance)}
        site = http.post(BASE, headers=headers, json={"oAuthApp": {"name": "Visitors' site"}})
        assert site.status_code == 200, site.text
    return headers, str(site.json()["oAuthApp"]["id"])


def _stored(database_url: str, outcomes: Outcomes) -> tuple[set[str], set[str]]:
    async def read(db: Database) -> tuple[set[str], set[str]]:
        async with db.read() as conn:
            apps = set((await conn.execute(select(oauth_apps.c.id).where(oauth_apps.c.id.in_(outcomes.apps)))).scalars())
            granted = set((await conn.execute(select(grants.c.id).where(grants.c.id.in_(outcomes.grants)))).scalars())
        return apps, granted

    result: tuple[set[str], set[str]] = run_db(database_url, read)
    return result


def test_sigterm_under_load_drops_no_request_and_loses_no_acknowledged_write(database_url: str, tmp_path: Path) -> None:
    outcomes, stop = Outcomes(), threading.Event()
    with running_server(database_url, tmp_path, workers=2) as server:
        headers, client_id = _tenant(server)
        clients = [
            threading.Thread(target=_client, args=(server.base_url, headers, client_id, outcomes, stop), daemon=True)
            for _ in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 45
        while outcomes.acknowledged < ACKNOWLEDGED_BEFORE_SIGTERM and not outcomes.failures and time.monotonic() < deadline:
            time.sleep(0.01)
        assert outcomes.acknowledged >= ACKNOWLEDGED_BEFORE_SIGTERM, (outcomes.failures, server.log())
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=30)
        finally:
            stop.set()  # the bound, should the server not stop
            for thread in clients:
                thread.join(timeout=30)
        log = server.log()
    assert code == 0, log
    assert outcomes.failures == [], log
    assert outcomes.refused == CLIENTS  # every client ran until the server stopped listening
    apps, granted = _stored(database_url, outcomes)
    assert apps == set(outcomes.apps)
    assert granted == set(outcomes.grants)
    # The access log's last lines were written too: one per answered request.
    missing = [rid for rid in outcomes.request_ids if f"request_id={rid}" not in log]
    assert missing == []
    assert log.count(" stopped: ") == 2


# --- one connection, byte by byte ---------------------------------------------------------------


REQUEST = b"GET /oauth2/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _read_response(reader: BinaryIO) -> tuple[bytes, dict[str, str]]:
    """One response from the connection's buffered reader: (status line, headers)."""
    status = reader.readline().rstrip(b"\r\n")
    assert status, "closed before answering"
    headers = {}
    while (line := reader.readline().rstrip(b"\r\n")) != b"":
        name, value = line.decode("latin-1").split(":", 1)
        headers[name.lower()] = value.strip()
    body = reader.read(int(headers["content-length"]))
    assert len(body) == int(headers["content-length"])
    return status, headers


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_request_sent_on_an_idle_keep_alive_connection_during_shutdown_is_answered(
    database_url: str, tmp_path: Path, workers: int
) -> None:
    with running_server(database_url, tmp_path, workers=workers) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        used, pipelining, untouched = (socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(3))
        with used, pipelining, untouched, used.makefile("rb") as used_in, pipelining.makefile("rb") as pipelining_in:
            for sock, reader in ((used, used_in), (pipelining, pipelining_in)):
                sock.sendall(REQUEST)
                status, headers = _read_response(reader)
                assert status == b"HTTP/1.1 200 OK" and "connection" not in headers  # kept alive
            os.kill(server.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while _listening(port):  # the shutdown has begun once nothing listens any more
                assert time.monotonic() < deadline
                time.sleep(0.01)
            # The connection was idle when the shutdown began; a request sent on it now is answered,
            # with Connection: close, and the connection then ends with a FIN (b""), not a reset.
            used.sendall(REQUEST)
            status, headers = _read_response(used_in)
            assert status == b"HTTP/1.1 200 OK" and headers["connection"] == "close"
            assert used_in.read(1) == b""
            # Two requests pipelined: both answered, only the last with Connection: close.
            pipelining.sendall(REQUEST * 2)
            answers = [_read_response(pipelining_in) for _ in range(2)]
            assert [status for status, _ in answers] == [b"HTTP/1.1 200 OK"] * 2
            assert [headers.get("connection") for _, headers in answers] == [None, "close"]
            assert pipelining_in.read(1) == b""
            # A connection that stays idle is closed the same clean way.
            assert untouched.recv(1) == b""
        assert server.process.wait(timeout=30) == 0, server.log()
