"""Every error is in the wire format, on every route: when the database itself fails a request,
the management routes (create, update, delete, secrets) answer the wire-format 500 as the plain
routes do, never Starlette's plain-text page; the error is logged once, with the request id and
without the request body. A client that goes away in the middle of its request is not an error.

The database fails for real: a trigger in it refuses every write to the OAuth apps table (on
both engines), and on PostgreSQL the whole database is dropped under the running server."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from oauthapps.http import schemas
from oauthapps.store.migrate import upgrade

from ..support.oauth_apps import BASE, create
from ..support.servers import Server, fresh_database, pg_exec, running_server
from ..support.tenants import Tenant, new_tenant

REFUSAL = "this database refuses writes to oauth_apps"
PG_REFUSE = f"""
CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$;
CREATE TRIGGER refuse_write BEFORE INSERT OR UPDATE OR DELETE ON oauth_apps
FOR EACH ROW EXECUTE FUNCTION refuse_write();
"""
SQLITE_REFUSE = [
    f"CREATE TRIGGER refuse_{event.lower()} BEFORE {event} ON oauth_apps BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for event in ("INSERT", "UPDATE", "DELETE")
]


@dataclass
class Broken:
    server: Server
    http: httpx.Client
    tenant: Tenant
    app_id: str  # an OAuth app created before the database began refusing writes


def refuse_writes(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            for statement in SQLITE_REFUSE:
                conn.execute(statement)
        return

    async def install() -> None:
        import asyncpg

        conn = await asyncpg.connect(database_url, timeout=5)
        try:
            await conn.execute(PG_REFUSE)
        finally:
            await conn.close()

    asyncio.run(install())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def broken(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broken]:
    work = tmp_path_factory.mktemp(f"broken-{request.param}")
    with fresh_database(request.param, work) as url:
        upgrade(url)
        with running_server(url, work) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            tenant = new_tenant(http, server.database_url)
            app_id = create(http, tenant, name="Made before the refusal")["id"]
            refuse_writes(url)
            yield Broken(server, http, tenant, app_id)


def assert_wire_error(response: httpx.Response) -> dict[str, Any]:
    """A server error in the Wix wire format, naming the request id the response carries."""
    assert response.status_code >= 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.text
    body: dict[str, Any] = response.json()
    schemas.Error.model_validate(body)
    assert set(body["details"]) == {"applicationError"}, body
    error = body["details"]["applicationError"]
    assert error["code"] and response.headers["x-wix-request-id"] in error["description"], body
    return error


def test_a_failing_write_answers_the_wire_format_500_logged_once_without_the_body(broken: Broken) -> None:
    http, headers, app_id = broken.http, broken.tenant.app_headers, broken.app_id
    marker = f"body-marker-{uuid.uuid4().hex}"
    responses = [
        http.post(BASE, headers=headers, json={"oAuthApp": {"name": marker}}),
        http.patch(f"{BASE}/{app_id}", headers=headers, json={"oAuthApp": {"description": marker}, "mask": {"paths": ["description"]}}),
        http.post(f"{BASE}/{app_id}/rotate-secret", headers=headers, json={"gracePeriodSeconds": 60}),
        http.delete(f"{BASE}/{app_id}", headers=headers),
    ]
    log = broken.server.log()
    for response in responses:
        assert response.status_code == 500, response.text
        assert assert_wire_error(response)["code"] == "INTERNAL"
        request_id = response.headers["x-wix-request-id"]
        assert log.count(f"unhandled error request_id={request_id} ") == 1, log
    assert REFUSAL in log  # the cause is in the log ...
    assert marker not in log  # ... and nothing the client sent
    assert "Exception in ASGI application" not in log
    # Reads still work, and the refused writes changed nothing.
    kept = http.get(f"{BASE}/{app_id}", headers=headers)
    assert kept.status_code == 200 and kept.json()["oAuthApp"].get("description", "") == ""


def send_and_vanish(server: Server, head: str, body: bytes) -> None:
    """Send a request's head and the start of its body, then close the connection."""
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(head.encode("latin-1") + body)


def wait_for_line(server: Server, after: int, text: str) -> tuple[int, str]:
    """The first log line past line ``after`` that holds ``text``, once written (the access log is
    written in batches), and its index."""
    deadline = time.monotonic() + 30
    while True:
        lines = server.log().splitlines()
        for index in range(after, len(lines)):
            if text in lines[index]:
                return index, lines[index]
        assert time.monotonic() < deadline, f"no {text!r} in the log:\n{server.log()}"
        time.sleep(0.1)


def log_mark(server: Server, http: httpx.Client) -> int:
    """The index of a fresh line in the log: every access line before it is written."""
    path = f"/mark/{uuid.uuid4().hex}"
    http.get(path)
    index, _ = wait_for_line(server, 0, f" access GET {path} ")
    return index


@pytest.mark.parametrize(("path", "authorized"), [("/oauth2/token", False), (BASE, True)])
def test_a_client_that_disconnects_mid_body_is_not_an_error(broken: Broken, path: str, authorized: bool) -> None:
    mark = log_mark(broken.server, broken.http)
    auth = f"Authorization: {broken.tenant.token}\r\n" if authorized else ""
    head = f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{auth}Content-Length: 1000\r\n\r\n"
    send_and_vanish(broken.server, head, b'{"oAuthApp": {"na')
    _, line = wait_for_line(broken.server, mark, f" access POST {path} ")
    request_id = line.rsplit("request_id=", 1)[1].strip()
    assert f" access POST {path} 499 " in line, line
    log = broken.server.log()
    assert f"client disconnected request_id={request_id} " in log, log
    assert f"unhandled error request_id={request_id} " not in log, log


# --- a database that disappears ---------------------------------------------------------------


def test_every_route_answers_the_wire_format_when_the_database_is_gone(tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("gone")
    with fresh_database("postgresql", work) as url:
        upgrade(url)
        with running_server(url, work) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            tenant = new_tenant(http, server.database_url)
            app_id = create(http, tenant)["id"]
            name = urlsplit(url).path.lstrip("/")
            asyncio.run(pg_exec(f'DROP DATABASE "{name}" WITH (FORCE)'))
            headers = tenant.app_headers
            needs_the_database = [
                http.post(BASE, headers=headers, json={"oAuthApp": {"name": "After the drop"}}),
                http.patch(
                    f"{BASE}/{app_id}", headers=headers, json={"oAuthApp": {"description": "x"}, "mask": {"paths": ["description"]}}
                ),
                http.post(f"{BASE}/{app_id}/rotate-secret", headers=headers, json={}),
                http.delete(f"{BASE}/{app_id}", headers=headers),
                http.post(f"{BASE}/query", headers=headers, json={"query": {"filter": {"name": "nothing cached"}}}),
                http.post(
                    "/oauth2/token",
                    json={
                        "grant_type": "client_credentials",
                        "client_id": tenant.app_id,
                        "client_secret": tenant.app_secret,
                        "instance_id": tenant.instance_id,
                    },
                ),
            ]
            for response in needs_the_database:
                assert_wire_error(response)
            assert "Exception in ASGI application" not in server.log()
