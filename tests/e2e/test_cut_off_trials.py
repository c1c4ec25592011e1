"""The cut-off is exact across nodes (docs/cut-off.md): over 100 trials per database, idle and
with visitors arriving in the background, a token or secret that node B has just accepted is
refused by node B as soon as node A has acknowledged the delete, rotation or revocation that cut
it off. Each trial asks node B the moment node A's answer arrives, which is when a late eviction
would show."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from enum import StrEnum

import httpx
import pytest

from ..support.oauth2 import Client, new_client, refresh, token_active, visitor_tokens
from ..support.oauth_apps import BASE
from ..support.servers import two_nodes
from ..support.tenants import Tenant, new_tenant

TRIALS = 100
LOAD_THREADS = 3


class Cut(StrEnum):
    DELETE = "delete"  # the OAuth app is deleted: its visitor's token dies
    ROTATE = "rotate"  # its secret is rotated with no grace: the old secret is refused
    REVOKE = "revoke"  # the visitor's refresh token is revoked: the grant's access token dies


@pytest.fixture(scope="module")
def nodes(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, httpx.Client, Tenant]]:
    with two_nodes(database_url, tmp_path_factory) as (node_a, node_b):
        yield node_a, node_b, new_tenant(node_a, database_url, name="Cut-off trials")


def _client_credentials(node: httpx.Client, client: Client, secret: str) -> int:
    body = {"grant_type": "client_credentials", "client_id": client.id, "client_secret": secret}
    return node.post("/oauth2/token", json=body).status_code


def _trial(node_a: httpx.Client, node_b: httpx.Client, tenant: Tenant, cut: Cut, shared: Client) -> str | None:
    """One cut; a description of what node B still accepted after node A's acknowledgement, if anything."""
    if cut is Cut.REVOKE:
        visitor = visitor_tokens(node_b, shared.id)
        assert token_active(node_b, visitor["access_token"])  # warm on node B
        revoked = node_a.post("/oauth2/revoke", data={"client_id": shared.id, "token": visitor["refresh_token"]})
        assert revoked.status_code == 200, revoked.text
        if token_active(node_b, visitor["access_token"]):
            return "a revoked grant's access token"
        return None
    client = new_client(node_a, tenant, name="Trial site")
    if cut is Cut.DELETE:
        visitor = visitor_tokens(node_b, client.id)
        assert token_active(node_b, visitor["access_token"])
        assert node_a.delete(f"{BASE}/{client.id}", headers=tenant.app_headers).status_code == 200
        if token_active(node_b, visitor["access_token"]):
            return "a deleted app's visitor token"
        if refresh(node_b, client.id, visitor["refresh_token"]).status_code == 200:
            return "a deleted app's refresh token"
        return None
    assert _client_credentials(node_b, client, client.secret) == 200
    rotated = node_a.post(f"{BASE}/{client.id}/rotate-secret", headers=tenant.app_headers, json={"gracePeriodSeconds": 0})
    assert rotated.status_code == 200, rotated.text
    if _client_credentials(node_b, client, client.secret) == 200:
        return "a rotated-out secret"
    return None


def _visitors_arriving(base_urls: list[str], client_id: str, stop: threading.Event, answered: list[int]) -> None:
    with httpx.Client(timeout=30) as http:
        i = 0
        while not stop.is_set():
            response = http.post(f"{base_urls[i % len(base_urls)]}/oauth2/token", json={"clientId": client_id, "grantType": "anonymous"})
            answered.append(response.status_code)
            i += 1


@pytest.mark.parametrize("load", ["idle", "visitors"])
def test_no_node_accepts_what_an_acknowledged_change_cut_off(nodes, load: str) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, tenant = nodes
    shared = new_client(node_a, tenant, name="Shared site")
    stop = threading.Event()
    answered: list[int] = []
    threads = []
    if load == "visitors":
        busy = new_client(node_a, tenant, name="Busy site")
        urls = [str(node_a.base_url), str(node_b.base_url)]
        threads = [threading.Thread(target=_visitors_arriving, args=(urls, busy.id, stop, answered)) for _ in range(LOAD_THREADS)]
        for thread in threads:
            thread.start()
    try:
        cuts = list(Cut)
        accepted = [found for i in range(TRIALS) if (found := _trial(node_a, node_b, tenant, cuts[i % len(cuts)], shared))]
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert accepted == [], f"{len(accepted)} of {TRIALS} trials: node B accepted {accepted[:5]} after node A acknowledged the cut"
    if load == "visitors":
        assert answered and set(answered) == {200}, f"{len(answered)} visitor requests, statuses {set(answered)}"
