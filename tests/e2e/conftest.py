"""The end-to-end tests: a real browser, the SDK and strict third-party clients, several server
nodes, and the sample template, against real servers on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from ..support.browser import launched_chromium
from ..support.fixtures import database_url, http, make_tenant, module_tenant, server, tenant
from ..support.sdk import SHORT_TOKEN_SECONDS, GrantRecorder, Site, create_site
from ..support.servers import Server, running_server
from ..support.tenants import Tenant

if TYPE_CHECKING:
    from playwright.sync_api import Browser

__all__ = ["database_url", "http", "make_tenant", "module_tenant", "server", "tenant"]


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    """One chromium per module and backend. Playwright's sync API keeps an event loop marked as
    running on this thread while it is started, so set-up code that calls ``asyncio.run`` runs
    through ``off_loop``; depending on ``server`` closes the browser before the next backend's
    database is made."""
    with launched_chromium() as launched:
        yield launched


# --- the SDK tests ----------------------------------------------------------------------------------


@pytest.fixture
def site(http: httpx.Client, tenant: Tenant) -> Site:
    return create_site(http, tenant)


@pytest.fixture
def recorder() -> GrantRecorder:
    return GrantRecorder()


@pytest.fixture
def http_browser() -> Iterator[httpx.Client]:
    """A person's browser as plain HTTP (no JavaScript); blocking is fine, the server is another process."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def short_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Same database as ``server``, but access tokens last 2 seconds."""
    env = {"OAUTHAPPS_ACCESS_TOKEN_SECONDS": str(SHORT_TOKEN_SECONDS)}
    with running_server(database_url, tmp_path_factory.mktemp("sdk-short"), extra_env=env) as srv:
        yield srv
