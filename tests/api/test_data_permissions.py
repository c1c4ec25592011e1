"""The data permission matrix: every role × every operation × every collection policy, over real
HTTP on both engines. Each case also proves what the caller must NOT be able to do."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from oauthapps.domain.data_items import OPERATIONS, DataPermission
from oauthapps.domain.roles import CallerRole

from ..support.data import COLLECTIONS, ITEMS
from ..support.members import member_tokens
from ..support.oauth2 import new_client, visitor_tokens
from ..support.servers import Server
from ..support.tenants import new_tenant


@dataclass
class World:
    http: httpx.Client
    admin: dict[str, str]
    callers: dict[CallerRole, dict[str, str]]
    other_member: dict[str, str]


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        tenant = new_tenant(http, server.database_url, name="Data project")
        client = new_client(http, tenant, name="Site")
        suffix = uuid.uuid4().hex[:8]
        member = member_tokens(http, client, f"a-{suffix}@example.com", "password-a-123")
        other = member_tokens(http, client, f"b-{suffix}@example.com", "password-b-123")
        visitor = visitor_tokens(http, client.id)
        admin = tenant.key_headers
        yield World(
            http=http,
            admin=admin,
            callers={
                CallerRole.VISITOR: {"Authorization": str(visitor["access_token"])},
                CallerRole.MEMBER: {"Authorization": str(member["access_token"])},
                CallerRole.ADMIN: admin,
            },
            other_member={"Authorization": str(other["access_token"])},
        )


def _collection(world: World, operation: str, policy: DataPermission) -> str:
    """All operations open to anyone except the one under test, so set-up can use any caller."""
    name = f"C{uuid.uuid4().hex[:10]}"
    permissions = dict.fromkeys(OPERATIONS, DataPermission.ANYONE)
    permissions[operation] = policy
    created = world.http.post(COLLECTIONS, headers=world.admin, json={"collection": {"id": name, "permissions": permissions}})
    assert created.status_code == 200, created.text
    return name


def _insert(world: World, headers: dict[str, str], collection: str, text: str) -> httpx.Response:
    return world.http.post(ITEMS, headers=headers, json={"dataCollectionId": collection, "dataItem": {"data": {"text": text}}})


# The expected outcome of each case: "all" (may act on anyone's item), "own" (only on their own
# item; another's is refused), or "none" (refused outright with 403).
VISITOR, MEMBER, ADMIN = CallerRole.VISITOR, CallerRole.MEMBER, CallerRole.ADMIN
EXPECTED = {
    DataPermission.ANYONE: {VISITOR: "all", MEMBER: "all", ADMIN: "all"},
    DataPermission.SITE_MEMBER: {VISITOR: "none", MEMBER: "all", ADMIN: "all"},
    DataPermission.SITE_MEMBER_AUTHOR: {VISITOR: "none", MEMBER: "own", ADMIN: "all"},
    DataPermission.ADMIN: {VISITOR: "none", MEMBER: "none", ADMIN: "all"},
}


@pytest.mark.parametrize(("policy", "operation", "role"), list(itertools.product(DataPermission, OPERATIONS, CallerRole)))
def test_permission_matrix(world: World, policy: DataPermission, operation: str, role: CallerRole) -> None:
    collection = _collection(world, operation, policy)
    caller = world.callers[role]
    expected = EXPECTED[policy][role]
    if operation == "insert":
        response = _insert(world, caller, collection, "mine")
        if expected == "none":
            assert response.status_code == 403, response.text
            assert response.json()["details"]["applicationError"]["code"] == "WDE0027"
        else:
            assert response.status_code == 200, response.text
            assert response.json()["dataItem"]["data"]["text"] == "mine"
        return

    others = _insert(world, world.other_member, collection, "theirs").json()["dataItem"]["id"]
    own = _insert(world, caller, collection, "mine").json()["dataItem"]["id"]

    def act(item_id: str) -> httpx.Response:
        if operation == "read":
            return world.http.get(f"{ITEMS}/{item_id}", headers=caller, params={"dataCollectionId": collection})
        if operation == "update":
            return world.http.post(
                f"{ITEMS}/update",
                headers=caller,
                json={"dataCollectionId": collection, "dataItem": {"id": item_id, "data": {"text": "changed"}}},
            )
        return world.http.post(f"{ITEMS}/remove", headers=caller, json={"dataCollectionId": collection, "dataItemId": item_id})

    on_own, on_other = act(own), act(others)
    if expected == "none":
        assert on_own.status_code == 403 and on_other.status_code == 403, (on_own.text, on_other.text)
    elif expected == "all":
        assert on_own.status_code == 200 and on_other.status_code == 200, (on_own.text, on_other.text)
    else:
        assert on_own.status_code == 200, on_own.text
        # Another's item: hidden (404) when the caller cannot read it, refused (403) when it can.
        assert on_other.status_code in (403, 404), on_other.text
        if operation == "read":
            assert on_other.status_code == 404

    if operation == "read" and expected != "none":
        listed = world.http.post(f"{ITEMS}/query", headers=caller, json={"dataCollectionId": collection, "query": {}}).json()
        texts = sorted(i["data"]["text"] for i in listed["dataItems"])
        assert texts == (["mine"] if expected == "own" else ["mine", "theirs"])
        assert listed["pagingMetadata"]["total"] == len(texts)
    if operation == "update" and on_other.status_code != 200:
        after = world.http.get(f"{ITEMS}/{others}", headers=world.admin, params={"dataCollectionId": collection}).json()
        assert after["dataItem"]["data"]["text"] == "theirs"
    if operation == "remove" and on_other.status_code != 200:
        assert world.http.get(f"{ITEMS}/{others}", headers=world.admin, params={"dataCollectionId": collection}).status_code == 200
