"""The server's log, read from the running process: one access line per request with its request
id, and never a secret, token, code or password, whatever the request carried."""

from __future__ import annotations

import base64
import re
import time

import httpx

from ..support.members import PASSWORD, fresh_email, register
from ..support.oauth2 import new_client, refresh, visitor_tokens
from ..support.servers import Server
from ..support.tenants import Tenant

ACCESS_LINE = re.compile(
    r"^\S+Z access (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) [\d.]+ms request_id=(?P<id>[0-9a-f]{32})$", re.MULTILINE
)


def wait_for_lines(server: Server, request_ids: list[str], timeout: float = 5.0) -> dict[str, re.Match[str]]:
    """The access log is written in batches (every 0.5 s): wait for ours to come out."""
    deadline = time.monotonic() + timeout
    while True:
        found = {m["id"]: m for m in ACCESS_LINE.finditer(server.log())}
        if all(rid in found for rid in request_ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_every_request_has_an_access_line_and_no_secret_reaches_the_log(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    client = new_client(http, tenant)
    basic = base64.b64encode(f"{client.id}:{client.secret}".encode()).decode()
    wrong = base64.b64encode(f"{client.id}:{client.secret[:-4]}XXXX".encode()).decode()
    responses = [
        http.post("/oauth2/token", headers={"Authorization": f"Basic {basic}"}, data={"grant_type": "client_credentials"}),
        http.post("/oauth2/token", headers={"Authorization": f"Basic {wrong}"}, data={"grant_type": "client_credentials"}),
    ]
    guest = visitor_tokens(http, client.id)
    responses.append(refresh(http, client.id, guest["refresh_token"]))
    responses.append(register(http, guest["access_token"], fresh_email(), PASSWORD))
    # A query string can carry codes and tokens: only the path is logged.
    responses.append(
        http.get("/oauth2/authorize", params={"client_id": client.id, "code_challenge": "q" * 43, "state": guest["refresh_token"]})
    )
    secrets_seen = [
        client.secret,
        guest["access_token"],
        guest["refresh_token"],
        PASSWORD,
        basic,
        wrong,
        responses[0].json()["access_token"],
        responses[2].json()["refresh_token"],
        tenant.api_key,
    ]

    ids = [r.headers["x-wix-request-id"] for r in responses]
    lines = wait_for_lines(server, ids)
    assert [(lines[rid]["method"], lines[rid]["path"], int(lines[rid]["status"])) for rid in ids] == [
        (r.request.method, r.request.url.path, r.status_code) for r in responses
    ]
    assert [r.status_code for r in responses][:3] == [200, 401, 200]
    log = server.log()
    leaked = [s[:12] + "..." for s in secrets_seen if s and s in log]
    assert leaked == []
