"""The anonymous grant's budget: new visitors per OAuth app and per client address, refused with
429, ``Retry-After`` and the RFC 6749 error shape once spent, against a real server configured with
a low budget, on both databases. The bucket arithmetic is checked in tests/unit/test_token_buckets.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from oauthapps.store.database import Database
from oauthapps.store.schema import grants

from ..support.members import client_from, fresh_address
from ..support.oauth2 import assert_oauth_error, new_client, token_call
from ..support.servers import Server, running_server
from ..support.tenants import Tenant, new_tenant, run_db

PER_APP, PER_ADDRESS = 5, 3  # a minute's worth each: one more every 12 s and 20 s
PROXY = "127.0.0.2"  # a trusted reverse proxy (fresh_address never hands it out)


@pytest.fixture(scope="module")
def budget_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "OAUTHAPPS_ANONYMOUS_PER_APP_PER_MINUTE": str(PER_APP),
        "OAUTHAPPS_ANONYMOUS_PER_ADDRESS_PER_MINUTE": str(PER_ADDRESS),
        "OAUTHAPPS_FORWARDED_ALLOW_IPS": PROXY,
    }
    with running_server(database_url, tmp_path_factory.mktemp("budget"), extra_env=env) as srv:
        yield srv


@pytest.fixture
def owner(budget_server: Server) -> Iterator[tuple[httpx.Client, Tenant]]:
    with httpx.Client(base_url=budget_server.base_url, timeout=30) as http:
        yield http, new_tenant(http, budget_server.database_url, name="Budget")


def new_visitor(server: Server, address: str, client_id: str) -> httpx.Response:
    with client_from(server.base_url, address) as http:
        return token_call(http, clientId=client_id, grantType="anonymous")


def visitor_rows(server: Server, client_id: str) -> int:
    async def count(db: Database) -> int:
        async with db.read() as conn:
            return int((await conn.execute(select(func.count()).where(grants.c.oauth_app_id == client_id))).scalar_one())

    return int(run_db(server.database_url, count))


def assert_over_budget(response: httpx.Response, longest_wait: int) -> None:
    body = assert_oauth_error(response, 429, "temporarily_unavailable")
    assert "retry after" in body["error_description"]
    assert 1 <= int(response.headers["retry-after"]) <= longest_wait


def test_new_visitors_are_budgeted_per_address_and_per_client(budget_server: Server, owner: tuple[httpx.Client, Tenant]) -> None:
    http, tenant = owner
    site, other_site = new_client(http, tenant), new_client(http, tenant)
    first, second, third = fresh_address(), fresh_address(), fresh_address()

    # One address: its budget, then 429; refusals spend nothing and write no visitor.
    assert [new_visitor(budget_server, first, site.id).status_code for _ in range(PER_ADDRESS)] == [200] * PER_ADDRESS
    for _ in range(2):
        assert_over_budget(new_visitor(budget_server, first, site.id), 60 // PER_ADDRESS)
    assert visitor_rows(budget_server, site.id) == PER_ADDRESS

    # Another address may go on until the client's own budget is spent...
    left = PER_APP - PER_ADDRESS
    assert [new_visitor(budget_server, second, site.id).status_code for _ in range(left)] == [200] * left
    assert_over_budget(new_visitor(budget_server, second, site.id), 60 // PER_APP)
    assert_over_budget(new_visitor(budget_server, third, site.id), 60 // PER_APP)
    assert visitor_rows(budget_server, site.id) == PER_APP

    # ...which is the client's alone: another client is served, from a fresh address.
    response = new_visitor(budget_server, third, other_site.id)
    assert response.status_code == 200, response.text
    assert visitor_rows(budget_server, other_site.id) == 1


def test_an_unknown_client_is_refused_as_before_and_spends_no_client_budget(budget_server: Server) -> None:
    address = fresh_address()
    for _ in range(PER_APP + 1):
        assert_oauth_error(new_visitor(budget_server, address, "00000000-0000-4000-8000-000000000000"), 401, "invalid_client")


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(budget_server: Server, owner: tuple[httpx.Client, Tenant]) -> None:
    http, tenant = owner
    site = new_client(http, tenant)

    def via_proxy(client_ip: str) -> httpx.Response:
        with client_from(budget_server.base_url, PROXY) as proxy:
            body = {"clientId": site.id, "grantType": "anonymous"}
            return proxy.post("/oauth2/token", json=body, headers={"X-Forwarded-For": client_ip})

    assert [via_proxy("198.51.100.7").status_code for _ in range(PER_ADDRESS)] == [200] * PER_ADDRESS
    assert_over_budget(via_proxy("198.51.100.7"), 60 // PER_ADDRESS)
    # The same TCP peer (the proxy), another client behind it: counted apart.
    response = via_proxy("198.51.100.8")
    assert response.status_code == 200, response.text
