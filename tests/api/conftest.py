"""The API tests: each runs against a real server process (or the real database) on SQLite and on
PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from ..support.fixtures import database_url, http, make_tenant, module_tenant, server, tenant
from ..support.oauth2 import Client, new_client
from ..support.tenants import Tenant

__all__ = ["database_url", "http", "make_tenant", "module_tenant", "server", "tenant"]


@pytest.fixture
def client(http: httpx.Client, tenant: Tenant) -> Client:
    """An OAuth app of the test's project, with the default callback as its redirect URI."""
    return new_client(http, tenant)
