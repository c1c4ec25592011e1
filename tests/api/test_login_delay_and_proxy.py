"""The attempt limits on a server with a short account delay and a trusted reverse proxy
(``OAUTHAPPS_LOGIN_DELAY_SECONDS``, ``OAUTHAPPS_FORWARDED_ALLOW_IPS``), SQLite and PostgreSQL:
the real owner of an account waits a delay after failed guesses and then signs in, never a fixed
lockout; behind the trusted proxy every client has its own address budget."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from oauthapps.domain.attempt_limits import AttemptAction, AttemptLimits
from oauthapps.services.member_accounts import TOO_MANY_ATTEMPTS

from ..support.members import IDENTITY, PASSWORD, client_from, fresh_address, fresh_email, login, register
from ..support.oauth2 import Client, new_client, visitor_tokens
from ..support.servers import Server, running_server
from ..support.tenants import Tenant

DELAY_SECONDS = 3
PROXY = "127.9.9.9"  # a loopback address the tests connect from, as the reverse proxy
LIMITS = AttemptLimits.default()
LOGIN = LIMITS.of(AttemptAction.LOGIN)
FREE_FAILURES = LOGIN.account.free_failures if LOGIN.account else 0
ADDRESS_BUDGET = LOGIN.address.max_attempts


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Overrides the shared server for this module (``http`` and ``make_tenant`` use it)."""
    env = {"OAUTHAPPS_LOGIN_DELAY_SECONDS": str(DELAY_SECONDS), "OAUTHAPPS_FORWARDED_ALLOW_IPS": f"10.0.0.0/8, {PROXY}"}
    with running_server(database_url, tmp_path_factory.mktemp("limits"), extra_env=env) as srv:
        yield srv


@pytest.fixture
def client(http: httpx.Client, tenant: Tenant) -> Client:
    return new_client(http, tenant, allowedRedirectDomains=["localhost:3000"])


@pytest.fixture
def access(http: httpx.Client, client: Client) -> str:
    return str(visitor_tokens(http, client.id)["access_token"])


@pytest.fixture
def member(http: httpx.Client, access: str) -> str:
    email = fresh_email()
    assert register(http, access, email).status_code == 200
    return email


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["details"]["applicationError"]["code"] == TOO_MANY_ATTEMPTS
    return int(response.headers["retry-after"])


def test_the_owner_waits_a_delay_then_signs_in(server: Server, access: str, member: str) -> None:
    with client_from(server.base_url, fresh_address()) as browser:
        for _ in range(FREE_FAILURES):
            assert login(browser, access, member, "not the password").status_code == 401
        wait = retry_after(login(browser, access, member))  # the right password, during the delay
        assert 1 <= wait <= DELAY_SECONDS
        # More guesses during the delay are refused unchecked, each saying how long to wait.
        for _ in range(5):
            assert 1 <= retry_after(login(browser, access, member, "another guess")) <= DELAY_SECONDS
        time.sleep(wait)
        assert login(browser, access, member).status_code == 200
        # The success ended the failures: the next typo is checked at once, not delayed.
        assert login(browser, access, member, "a typo").status_code == 401


def test_each_client_behind_a_trusted_proxy_has_its_own_budget(server: Server, access: str, member: str) -> None:
    def via_proxy(proxy: httpx.Client, forwarded_for: str, email: str, password: str) -> httpx.Response:
        headers = {"Authorization": access, "X-Forwarded-For": forwarded_for}
        return proxy.post(f"{IDENTITY}/login", headers=headers, json={"loginId": {"email": email}, "password": password})

    attacker, neighbour = "203.0.113.7", "203.0.113.8"
    with client_from(server.base_url, PROXY) as proxy:
        for i in range(ADDRESS_BUDGET):
            # The attacker writes hops of its own; the proxy appends the address it saw, and the
            # rightmost hop the server does not trust (10.0.0.0/8 is trusted) is the client.
            forged = f"198.51.100.{i + 1}, {attacker}, 10.1.2.3"
            assert via_proxy(proxy, forged, fresh_email(), "not the password").status_code == 401
        # Another client behind the same proxy is not blocked; the attacker is.
        assert via_proxy(proxy, neighbour, member, PASSWORD).status_code == 200
        retry_after(via_proxy(proxy, f"198.51.100.99, {attacker}", member, PASSWORD))


def test_forwarded_for_from_an_untrusted_peer_is_ignored(server: Server, access: str, member: str) -> None:
    with client_from(server.base_url, fresh_address()) as browser:
        for i in range(ADDRESS_BUDGET):
            headers = {"Authorization": access, "X-Forwarded-For": f"198.51.100.{i + 1}"}
            body = {"loginId": {"email": fresh_email()}, "password": "not the password"}
            assert browser.post(f"{IDENTITY}/login", headers=headers, json=body).status_code == 401
        headers = {"Authorization": access, "X-Forwarded-For": "198.51.100.200"}
        retry_after(browser.post(f"{IDENTITY}/login", headers=headers, json={"loginId": {"email": member}, "password": PASSWORD}))
