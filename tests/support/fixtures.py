"""Fixtures of the tests that run against real backends (tests/api and tests/e2e; their conftest.py
files import them). Tests that take ``server`` run once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from oauthapps.domain.scopes import OAUTH_APP_MANAGE
from oauthapps.store.migrate import upgrade

from .servers import Server, fresh_database, running_server
from .tenants import Tenant, new_tenant

SHARED_TENANT = "shared_tenant"  # the marker: ``tenant`` is one project per module and backend


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(database_url, tmp_path_factory.mktemp("server")) as srv:
        yield srv


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield client


@pytest.fixture
def make_tenant(server: Server, http: httpx.Client) -> Callable[..., Tenant]:
    def make(scopes: tuple[str, ...] = (OAUTH_APP_MANAGE,), name: str = "Test project") -> Tenant:
        return new_tenant(http, server.database_url, scopes, name)

    return make


@pytest.fixture(scope="module")
def module_tenant(server: Server) -> Iterator[Tenant]:
    """One project per test module (and backend) for tests that need no empty project of their own."""
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        yield new_tenant(client, server.database_url, name="Shared project")


@pytest.fixture
def tenant(request: pytest.FixtureRequest, make_tenant: Callable[..., Tenant]) -> Tenant:
    """A new project for each test; in a module marked ``shared_tenant``, the module's one project
    (for tests that need no empty project, so that set-up stays cheap)."""
    if request.node.get_closest_marker(SHARED_TENANT):
        shared: Tenant = request.getfixturevalue("module_tenant")
        return shared
    made: Tenant = make_tenant()
    return made
