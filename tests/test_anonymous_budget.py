"""The anonymous grant's budget: new visitors per OAuth app and per client address, refused with
429, ``Retry-After`` and the RFC 6749 error shape once spent, against a real server configured with
a low budget, on both databases. The bucket arithmetic and the address keys are checked as the
pure rules they are."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from oauthapps.domain.client_address import address_key
from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.domain.token_buckets import TokenBuckets
from oauthapps.services import tenancy
from oauthapps.store.database import Database
from oauthapps.store.schema import grants

from .conftest import Tenant, app_token, run_db
from .oauth2_helpers import assert_oauth_error, client_from, fresh_address, new_client, token_call
from .servers import Server, running_server

PER_APP, PER_ADDRESS = 5, 3  # a minute's worth each: one more every 12 s and 20 s


@pytest.fixture(scope="module")
def budget_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"OAUTHAPPS_ANONYMOUS_PER_APP_PER_MINUTE": str(PER_APP), "OAUTHAPPS_ANONYMOUS_PER_ADDRESS_PER_MINUTE": str(PER_ADDRESS)}
    with running_server(database_url, tmp_path_factory.mktemp("budget"), extra_env=env) as srv:
        yield srv


@pytest.fixture
def owner(budget_server: Server) -> Iterator[tuple[httpx.Client, Tenant]]:
    async def setup(db: Database) -> tuple[str, str, str, str, str]:
        project = await tenancy.create_project(db, "Budget")
        app = await tenancy.create_app(db, "Budget manager", [OAUTH_APP_MANAGE])
        instance = await tenancy.install(db, app.app_id, project.project_id)
        return project.project_id, project.api_key, app.app_id, app.app_secret, instance

    project_id, api_key, app_id, secret, instance = run_db(budget_server.database_url, setup)
    with httpx.Client(base_url=budget_server.base_url, timeout=30) as http:
        yield http, Tenant(project_id, api_key, app_id, secret, instance, app_token(http, app_id, secret, instance))


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


# --- the rules ---------------------------------------------------------------------------------


def test_a_bucket_holds_a_minute_and_refills_continuously() -> None:
    buckets = TokenBuckets(per_minute=6)  # one every 10 s
    for _ in range(6):
        assert buckets.wait_seconds("k", 100.0) == 0.0
        buckets.spend("k", 100.0)
    assert buckets.wait_seconds("k", 100.0) == pytest.approx(10.0)
    assert buckets.wait_seconds("k", 104.0) == pytest.approx(6.0)
    assert buckets.wait_seconds("other", 100.0) == 0.0
    assert buckets.wait_seconds("k", 110.0) == 0.0
    buckets.spend("k", 110.0)
    assert buckets.wait_seconds("k", 110.0) == pytest.approx(10.0)
    assert buckets.wait_seconds("k", 10_000.0) == 0.0  # never more than a minute's worth
    for _ in range(6):
        buckets.spend("k", 10_000.0)
    assert buckets.wait_seconds("k", 10_000.0) > 0


def test_no_limit_and_a_bounded_number_of_buckets() -> None:
    unlimited = TokenBuckets(per_minute=0)
    for _ in range(1000):
        unlimited.spend("k", 1.0)
    assert unlimited.wait_seconds("k", 1.0) == 0.0
    small = TokenBuckets(per_minute=1, max_keys=3)
    for key in "abcd":
        small.spend(key, 1.0)
    assert small.wait_seconds("a", 1.0) == 0.0  # the least recently used bucket was dropped
    assert [small.wait_seconds(key, 1.0) > 0 for key in "bcd"] == [True, True, True]


def test_addresses_are_counted_per_ipv4_address_and_per_ipv6_64() -> None:
    assert address_key("203.0.113.7") == "203.0.113.7"
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:198.51.100.4") == "198.51.100.4"
    assert address_key("unknown") == "unknown"
