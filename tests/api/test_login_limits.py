"""The attempt limits on a real server with the default settings (SQLite and PostgreSQL): parallel
guesses at one account get no more password checks than the limit, address budgets are per
project, ``X-Forwarded-For`` means nothing unless a proxy is trusted, and sign-up is budgeted."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from oauthapps.domain.attempt_limits import AttemptAction, AttemptLimits
from oauthapps.services.member_accounts import TOO_MANY_ATTEMPTS

from ..support.members import IDENTITY, PASSWORD, client_from, fresh_address, fresh_email, login, register
from ..support.oauth2 import Client, new_client, visitor_tokens
from ..support.servers import Server
from ..support.tenants import Tenant

LIMITS = AttemptLimits.default()
LOGIN = LIMITS.of(AttemptAction.LOGIN)
FREE_FAILURES = LOGIN.account.free_failures if LOGIN.account else 0
ADDRESS_BUDGET = LOGIN.address.max_attempts
GUESSES = 60
log = logging.getLogger(__name__)


@pytest.fixture
def client(http: httpx.Client, tenant: Tenant) -> Client:
    return new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])


def access_of(http: httpx.Client, client: Client) -> str:
    return str(visitor_tokens(http, client.id)["access_token"])


def member_of(http: httpx.Client, access: str) -> str:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    return email


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["details"]["applicationError"]["code"] == TOO_MANY_ATTEMPTS
    assert int(response.headers["retry-after"]) >= 1


async def _guess_in_parallel(base_url: str, address: str, access: str, email: str) -> tuple[list[int], int]:
    """GUESSES wrong passwords and the right one (sent last), all at once from one address."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    limits = httpx.Limits(max_connections=GUESSES + 1, max_keepalive_connections=GUESSES + 1)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, limits=limits, timeout=60) as browser:

        async def attempt(password: str) -> httpx.Response:
            body: dict[str, Any] = {"loginId": {"email": email}, "password": password}
            return await browser.post(f"{IDENTITY}/login", headers={"Authorization": access}, json=body)

        answers = await asyncio.gather(*(attempt(f"wrong password {i}") for i in range(GUESSES)), attempt(PASSWORD))
    for refused in (a for a in answers if a.status_code == 429):
        assert_too_many(refused)
    return [a.status_code for a in answers[:-1]], answers[-1].status_code


def test_parallel_guesses_are_checked_at_most_the_limit(server: Server, http: httpx.Client, client: Client) -> None:
    access = access_of(http, client)
    email = member_of(http, access)
    wrong, right = asyncio.run(_guess_in_parallel(server.base_url, fresh_address(), access, email))
    assert set(wrong) <= {401, 429}, wrong
    checked = sum(status != 429 for status in wrong) + (right != 429)
    log.info("%d of %d parallel attempts were checked; the right password got %d", checked, GUESSES + 1, right)
    if right == 200:
        # Checked among the first few: its success ends the account's failures, and the guesses
        # after it start a new count (the attacker knew the password anyway).
        assert checked <= 2 * FREE_FAILURES, (wrong, right)
    else:
        assert right == 429, right
        assert checked <= FREE_FAILURES, (wrong, right)


def test_address_budgets_are_per_project(server: Server, http: httpx.Client, make_tenant: Any) -> None:
    project_a = new_client(http, make_tenant(name="Project A"), allowedRedirectDomains=["localhost:3000"])
    project_b = new_client(http, make_tenant(name="Project B"), allowedRedirectDomains=["localhost:3000"])
    access_a, access_b = access_of(http, project_a), access_of(http, project_b)
    member_a, member_b = member_of(http, access_a), member_of(http, access_b)
    with client_from(server.base_url, fresh_address()) as browser:
        for _ in range(ADDRESS_BUDGET):  # a different unknown account each time: only the address budget applies
            assert login(browser, access_a, fresh_email(), "not the password").status_code == 401
        # The same address, another project: its budget is untouched.
        assert login(browser, access_b, member_b).status_code == 200
        assert_too_many(login(browser, access_a, member_a))


def test_forwarded_for_is_ignored_without_trusted_proxies(server: Server, http: httpx.Client, client: Client) -> None:
    access = access_of(http, client)
    email = member_of(http, access)
    with client_from(server.base_url, fresh_address()) as browser:
        for i in range(ADDRESS_BUDGET):
            forged = {"Authorization": access, "X-Forwarded-For": f"198.51.100.{i + 1}"}
            body = {"loginId": {"email": fresh_email()}, "password": "not the password"}
            assert browser.post(f"{IDENTITY}/login", headers=forged, json=body).status_code == 401
        fresh_forgery = {"Authorization": access, "X-Forwarded-For": "198.51.100.200"}
        assert_too_many(browser.post(f"{IDENTITY}/login", headers=fresh_forgery, json={"loginId": {"email": email}, "password": PASSWORD}))


def test_sign_up_attempts_that_fail_are_budgeted_per_address(server: Server, http: httpx.Client, client: Client) -> None:
    """ "This email is taken" tells who is a member: those answers count against the address."""
    access = access_of(http, client)
    taken = member_of(http, access)
    budget = LIMITS.of(AttemptAction.REGISTER).address.max_attempts
    with client_from(server.base_url, fresh_address()) as browser:
        assert register(browser, access, fresh_email()).status_code == 200  # a success does not count
        for _ in range(budget):
            assert register(browser, access, taken).status_code == 409
        assert_too_many(register(browser, access, fresh_email()))
    with client_from(server.base_url, fresh_address()) as elsewhere:
        assert register(elsewhere, access, fresh_email()).status_code == 200
