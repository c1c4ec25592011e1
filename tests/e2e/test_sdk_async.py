"""The Python SDK's asyncio client against a live server (SQLite and PostgreSQL): the same
operations as the blocking client, awaited, for every strategy and module, error mapping, and
automatic renewal of expired tokens."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from oauthapps.domain.scopes import OAUTH_APP_READ
from oauthapps.sdk import (
    ApiKeyStrategy,
    AppStrategy,
    Async,
    AsyncClient,
    AuthorizationError,
    ClientCredentialsStrategy,
    ConflictError,
    NotFoundError,
    OAuthStrategy,
    PermissionDeniedError,
    TokenError,
    Tokens,
    UnauthenticatedError,
    ValidationError,
    create_async_client,
    data,
    members,
    oauth_apps,
)

from ..support.data import create_collection
from ..support.members import browser_login, fresh_email
from ..support.sdk import CALLBACK, ORIGIN, GrantRecorder, Site, fill_catalogue
from ..support.servers import Server
from ..support.tenants import Tenant


@pytest.fixture
async def make_client(server: Server, recorder: GrantRecorder) -> AsyncIterator[Callable[..., AsyncClient[Any]]]:
    """Async clients on the shared server whose token requests land in ``recorder``."""
    http = recorder.async_client()
    yield lambda auth, **kw: create_async_client(auth=auth, base_url=kw.pop("base_url", server.base_url), http_client=http, **kw)
    await http.aclose()


async def member_login(client: AsyncClient[OAuthStrategy[Async]], http_browser: httpx.Client, email: str) -> Tokens:
    oauth_data = client.auth.generate_oauth_data(CALLBACK)
    auth_url = (await client.auth.get_auth_url(oauth_data)).auth_url
    callback = client.auth.parse_from_url(browser_login(http_browser, auth_url, email))
    tokens = await client.auth.get_member_tokens(callback.code, callback.state, oauth_data)
    client.auth.set_tokens(tokens)
    return tokens


async def test_visitor_browses_with_anonymous_tokens(
    http: httpx.Client,
    site: Site,
    make_client: Callable[..., AsyncClient[Any]],
    recorder: GrantRecorder,
) -> None:
    collection = create_collection(http, site.tenant)
    fill_catalogue(http, site.tenant, collection)
    client = make_client(OAuthStrategy(site.client_id), modules=[data])
    page = await client.data.query(collection).starts_with("title", "ap").ascending("title").find()
    assert [item["title"] for item in page] == ["Apple", "apricot"]
    assert recorder.grants == ["anonymous"] and client.auth.get_tokens().refresh_token.role == "visitor"
    # Concurrent calls on a warm client share its token.
    pages = await asyncio.gather(*(client.data.query(collection).eq("tag", tag).find() for tag in ("fruit", "drink")))
    assert [len(p) for p in pages] == [3, 1] and recorder.grants == ["anonymous"]

    tokens = await client.auth.generate_visitor_tokens()
    assert tokens.refresh_token.role == "visitor" and tokens != client.auth.get_tokens()
    renewed = await client.auth.renew_token(tokens.refresh_token)
    assert renewed.refresh_token == tokens.refresh_token and renewed.access_token != tokens.access_token


async def test_member_login_flow_and_logout(
    site: Site,
    make_client: Callable[..., AsyncClient[Any]],
    http_browser: httpx.Client,
    recorder: GrantRecorder,
) -> None:
    client = make_client(OAuthStrategy(site.client_id))
    oauth_data = client.auth.generate_oauth_data(CALLBACK, original_uri=f"{ORIGIN}/cart")
    auth = await client.auth.get_auth_url(oauth_data, response_mode="query")
    email = fresh_email()
    location = browser_login(http_browser, auth.auth_url, email)
    assert location.startswith(CALLBACK + "?")
    callback = client.auth.parse_from_url(location, response_mode="query")
    with pytest.raises(AuthorizationError) as foreign:
        await client.auth.get_member_tokens(callback.code, "someone-else", oauth_data)
    assert foreign.value.error == "invalid_state"

    client.auth.set_tokens(await client.auth.get_member_tokens(callback.code, callback.state, oauth_data))
    assert client.auth.logged_in()
    assert (await client.members.get_current_member())["loginEmail"] == email

    logout = await client.auth.logout(f"{ORIGIN}/")
    assert logout.logout_url and not client.auth.logged_in() and client.auth.get_tokens() == Tokens()
    with pytest.raises(TokenError) as replayed:  # a code works once
        await client.auth.get_member_tokens(callback.code, callback.state, oauth_data)
    assert replayed.value.status == 400 and replayed.value.error == "invalid_grant"
    assert recorder.grants == ["anonymous", "authorization_code", "authorization_code"]


async def test_app_strategy_manages_oauth_apps(
    tenant: Tenant,
    make_client: Callable[..., AsyncClient[Any]],
    recorder: GrantRecorder,
) -> None:
    client = make_client(AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id), modules=[oauth_apps])
    created = await asyncio.gather(*(client.oauth_apps.create({"name": f"async app {n}"}) for n in range(3)))
    ids = [app["id"] for app in created]
    assert all(app["secret"] for app in created)
    page = await client.oauth_apps.query().starts_with("name", "async app").descending("name").limit(2).find()
    assert [a["name"] for a in page] == ["async app 2", "async app 1"] and page.total_count == 3 and page.has_next()
    last = await page.next()
    assert [a["name"] for a in last] == ["async app 0"] and not last.has_next()

    updated = await client.oauth_apps.update(ids[0], {"description": "first"}, mask=["description"])
    assert updated["description"] == "first" and updated["name"] == "async app 0"
    assert (await client.oauth_apps.get(ids[0]))["description"] == "first"
    rotated = await client.oauth_apps.rotate_secret(ids[0])
    assert rotated.startswith("oas_") and rotated != created[0]["secret"]
    with pytest.raises(ConflictError):
        await client.oauth_apps.generate_secret(ids[0])
    await asyncio.gather(*(client.oauth_apps.delete(i) for i in ids))
    with pytest.raises(NotFoundError) as missing:
        await client.oauth_apps.delete(ids[0])
    assert missing.value.status == 404 and missing.value.code == "OAUTH_APP_NOT_FOUND" and missing.value.request_id
    # Three concurrent first calls may each fetch a token; later calls reuse the cached one.
    assert set(recorder.grants) == {"client_credentials"} and len(recorder.grants) <= 3


@pytest.fixture
def reader(make_tenant: Callable[..., Tenant]) -> Tenant:
    """An installed app with read-only access (made outside the event loop: set-up uses asyncio.run)."""
    return make_tenant(scopes=(OAUTH_APP_READ,), name="async reader")


async def test_errors_are_mapped(reader: Tenant, tenant: Tenant, make_client: Callable[..., AsyncClient[Any]]) -> None:
    client = make_client(AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id))
    with pytest.raises(ValidationError) as invalid:
        await client.oauth_apps.create({"name": "y" * 300})
    assert invalid.value.status == 400 and invalid.value.code == "INVALID_ARGUMENT"
    assert [v.field for v in invalid.value.violations] == ["oAuthApp.name"]
    with pytest.raises(ValidationError) as bad_query:
        await client.oauth_apps.query().ascending("secret").find()
    assert bad_query.value.violations and bad_query.value.violations[0].field.startswith("query.sort")

    read_only = make_client(AppStrategy(reader.app_id, reader.app_secret, reader.instance_id))
    with pytest.raises(PermissionDeniedError) as denied:
        await read_only.oauth_apps.update("any-id", {"name": "nope"})
    assert denied.value.status == 403 and denied.value.code == "PERMISSION_DENIED"

    with pytest.raises(UnauthenticatedError):
        await make_client(ApiKeyStrategy("wrong", tenant.project_id)).data.query("Anything").find()
    with pytest.raises(TokenError) as wrong:
        await make_client(ClientCredentialsStrategy(tenant.app_id, "oas_nope")).members.list_members()
    assert wrong.value.status == 401 and wrong.value.error == "invalid_client"


async def test_admin_and_api_key_data_and_members(
    http: httpx.Client,
    site: Site,
    make_client: Callable[..., AsyncClient[Any]],
    http_browser: httpx.Client,
) -> None:
    email = fresh_email()
    await member_login(make_client(OAuthStrategy(site.client_id)), http_browser, email)
    admin = make_client(ClientCredentialsStrategy(site.client_id, site.secret), modules=[data, members])
    listed = await admin.members.list_members()
    assert [m["loginEmail"] for m in listed.members] == [email] and listed.total == 1 and listed.offset == 0
    assert (await admin.members.get_member(listed.members[0]["id"]))["id"] == listed.members[0]["id"]
    with pytest.raises(NotFoundError) as no_member:
        await admin.members.get_member("no-such-member")
    assert no_member.value.code == "MEMBER_NOT_FOUND"

    collection = create_collection(http, site.tenant, read="ADMIN", insert="ADMIN", update="ADMIN", remove="ADMIN")
    stamp = datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    inserted = await asyncio.gather(*(admin.data.insert(collection, {"n": n, "at": stamp}) for n in range(4)))
    assert sorted(i["n"] for i in inserted) == [0, 1, 2, 3] and all(i["at"] == stamp for i in inserted)
    page = await admin.data.query(collection).ge("n", 1).ascending("n").limit(2).find()
    assert [i["n"] for i in page] == [1, 2] and page.has_next()
    assert [i["n"] for i in await page.next()] == [3]
    later = datetime.now(UTC) + timedelta(hours=1)
    assert [i["n"] for i in await admin.data.query(collection).lt("_createdDate", later).le("n", 0).find()] == [0]

    owner = make_client(ApiKeyStrategy(site.tenant.api_key, site.tenant.project_id), modules=[data])
    target = inserted[0]["_id"]
    changed = await owner.data.update(collection, {"n": 10}, id=target)
    assert changed["n"] == 10 and (await admin.data.get(collection, target))["n"] == 10
    await owner.data.remove(collection, target)
    with pytest.raises(NotFoundError) as gone:
        await admin.data.remove(collection, target)
    assert gone.value.status == 404 and gone.value.code == "WDE0073"


async def test_expired_tokens_renew_themselves(
    http: httpx.Client,
    site: Site,
    short_server: Server,
    recorder: GrantRecorder,
    http_browser: httpx.Client,
) -> None:
    collection = create_collection(http, site.tenant)
    fill_catalogue(http, site.tenant, collection)
    async with recorder.async_client() as transport:

        def short(auth: Any) -> AsyncClient[Any]:
            return create_async_client(auth=auth, base_url=short_server.base_url, http_client=transport)

        visitor, member = short(OAuthStrategy(site.client_id)), short(OAuthStrategy(site.client_id))
        admin = short(ClientCredentialsStrategy(site.client_id, site.secret))
        email = fresh_email()
        await member_login(member, http_browser, email)
        await asyncio.gather(visitor.data.query(collection).find(), admin.members.list_members())
        visitor_refresh = visitor.auth.get_tokens().refresh_token
        recorder.grants.clear()

        await asyncio.sleep(2.5)
        assert time.time() > max(c.auth.get_tokens().access_token.expires_at for c in (visitor, member))
        found, me, listed = await asyncio.gather(
            visitor.data.query(collection).find(),
            member.members.get_current_member(),
            admin.members.list_members(),
        )
        assert len(found) == 5 and me["loginEmail"] == email and listed.total >= 1
        assert sorted(recorder.grants) == ["client_credentials", "refresh_token", "refresh_token"]
        assert visitor.auth.get_tokens().refresh_token == visitor_refresh and member.auth.logged_in()


async def test_members_write_calls(site: Site, make_client: Callable[..., AsyncClient[Any]], http_browser: httpx.Client) -> None:
    member = make_client(OAuthStrategy(site.client_id), modules=[members])
    await member_login(member, http_browser, fresh_email())
    me = await member.members.get_current_member()
    updated = await member.members.update_member(me["id"], {"profile": {"nickname": "Async"}})
    assert updated["profile"]["nickname"] == "Async"
    slug = f"async-{me['id'][:8]}"
    assert (await member.members.update_current_member_slug(slug))["profile"]["slug"] == slug
    with pytest.raises(PermissionDeniedError):
        await member.members.delete_member(me["id"])

    admin = make_client(ClientCredentialsStrategy(site.client_id, site.secret), modules=[members])
    other = await admin.members.create_member({"loginEmail": fresh_email(), "profile": {"nickname": "AsyncOther"}})
    found = await admin.members.query_members().eq("profile.nickname", "AsyncOther").find()
    assert [m["id"] for m in found] == [other["id"]]
    assert (await admin.members.block_member(other["id"]))["status"] == "BLOCKED"
    assert (await admin.members.approve_member(other["id"]))["status"] == "APPROVED"
    await admin.members.delete_member(other["id"])
    with pytest.raises(NotFoundError):
        await admin.members.get_member(other["id"])
