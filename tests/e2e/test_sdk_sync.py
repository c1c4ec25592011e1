"""The Python SDK's blocking client against a live server (SQLite and PostgreSQL): every
strategy, every module, error mapping, and tokens that expire and renew themselves."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from oauthapps.domain.pkce import s256
from oauthapps.domain.scopes import OAUTH_APP_READ
from oauthapps.sdk import (
    ApiKeyStrategy,
    AppStrategy,
    AuthorizationError,
    Client,
    ClientCredentialsStrategy,
    ConflictError,
    DataItem,
    NotFoundError,
    OAuthData,
    OAuthStrategy,
    PermissionDeniedError,
    QueryBuilder,
    Sync,
    TokenError,
    Tokens,
    UnauthenticatedError,
    ValidationError,
    create_client,
    data,
    members,
    oauth_apps,
)
from oauthapps.sdk.modules.data import append_to_array, count, increment_field, set_field, total

from ..support.data import create_collection
from ..support.members import browser_login, follow_logout, fresh_email
from ..support.sdk import CALLBACK, ORIGIN, GrantRecorder, Site, fill_catalogue
from ..support.servers import Server
from ..support.tenants import Tenant

Query = QueryBuilder[Sync, DataItem]
MakeClient = Callable[..., Client[Any]]


@pytest.fixture
def make_client(server: Server, recorder: GrantRecorder) -> Iterator[MakeClient]:
    """Clients on the shared server whose token requests land in ``recorder``."""
    http = recorder.sync_client()
    yield lambda auth, **kw: create_client(auth=auth, base_url=kw.pop("base_url", server.base_url), http_client=http, **kw)
    http.close()


def member_login(client: Client[OAuthStrategy[Sync]], http_browser: httpx.Client, email: str) -> Tokens:
    oauth_data = client.auth.generate_oauth_data(CALLBACK, original_uri=f"{ORIGIN}/account")
    auth_url = client.auth.get_auth_url(oauth_data).auth_url
    callback = client.auth.parse_from_url(browser_login(http_browser, auth_url, email))
    tokens = client.auth.get_member_tokens(callback.code, callback.state, oauth_data)
    client.auth.set_tokens(tokens)
    return tokens


# --- OAuthStrategy: visitors --------------------------------------------------------------------


def test_visitor_gets_anonymous_tokens_on_first_use_and_reuses_them(
    http: httpx.Client,
    site: Site,
    make_client: MakeClient,
    recorder: GrantRecorder,
) -> None:
    collection = create_collection(http, site.tenant)  # readable by anyone by default
    fill_catalogue(http, site.tenant, collection)
    client = make_client(OAuthStrategy(site.client_id), modules=[data])
    assert client.auth.get_tokens() == Tokens() and not client.auth.logged_in()

    page = client.data.query(collection).eq("tag", "fruit").ascending("title").find()
    assert [item["title"] for item in page] == ["Apple", "Cherry", "apricot"]
    assert recorder.grants == ["anonymous"]
    tokens = client.auth.get_tokens()
    assert tokens.refresh_token.role == "visitor" and tokens.refresh_token.value.startswith("oar_")
    assert tokens.access_token.expires_at >= time.time() + 14_000

    client.data.query(collection).find()
    assert recorder.grants == ["anonymous"], "a valid token is reused"
    with pytest.raises(AttributeError, match="no 'members' module"):
        client.members  # noqa: B018 - not attached


def test_generate_visitor_tokens_returns_without_storing(site: Site, make_client: MakeClient, recorder: GrantRecorder) -> None:
    client = make_client(OAuthStrategy(site.client_id))
    tokens = client.auth.generate_visitor_tokens()
    assert tokens.refresh_token.role == "visitor"
    assert client.auth.get_tokens() == Tokens(), "the JS SDK does not store them either"
    assert client.auth.generate_visitor_tokens(tokens) is tokens, "valid tokens come back unchanged"
    client.auth.set_tokens(tokens)
    renewed = client.auth.renew_token()
    assert renewed.access_token.value != tokens.access_token.value and renewed.refresh_token == tokens.refresh_token
    assert recorder.grants == ["anonymous", "refresh_token"]
    # Stored JS-shaped tokens load back.
    assert Tokens.from_dict(tokens.to_dict()) == tokens
    assert set(tokens.to_dict()) == {"accessToken", "refreshToken"}


def test_visitor_with_a_refused_refresh_token_starts_over_anonymous(
    site: Site,
    make_client: MakeClient,
    recorder: GrantRecorder,
) -> None:
    stale = Tokens.from_dict({"accessToken": {"value": ""}, "refreshToken": {"value": "oar_x", "role": "visitor"}})
    client = make_client(OAuthStrategy(site.client_id, tokens=stale), modules=[data])
    tokens = client.auth.generate_visitor_tokens(stale)
    assert recorder.grants == ["refresh_token", "anonymous"] and tokens.refresh_token.value != "oar_x"


# --- OAuthStrategy: members ---------------------------------------------------------------------


def test_member_login_with_redirect_members_and_logout(
    site: Site,
    make_client: MakeClient,
    http_browser: httpx.Client,
    recorder: GrantRecorder,
) -> None:
    client = make_client(OAuthStrategy(site.client_id))
    oauth_data = client.auth.generate_oauth_data(CALLBACK, original_uri=f"{ORIGIN}/account")
    assert oauth_data.code_challenge == s256(oauth_data.code_verifier) and len(oauth_data.code_verifier) == 43
    assert OAuthData.from_dict(oauth_data.to_dict()) == oauth_data

    auth = client.auth.get_auth_url(oauth_data)
    assert auth.authorization_endpoint.endswith("/oauth2/authorize") and auth.auth_url.startswith(auth.authorization_endpoint)
    email = fresh_email()
    location = browser_login(http_browser, auth.auth_url, email)
    assert location.startswith(CALLBACK + "#")
    callback = client.auth.parse_from_url(location).raise_for_error()
    assert callback.state == oauth_data.state and callback.code

    tokens = client.auth.get_member_tokens(callback.code, callback.state, oauth_data)
    assert tokens.refresh_token.role == "member" and not client.auth.logged_in()
    client.auth.set_tokens(tokens)
    assert client.auth.logged_in()
    me = client.members.get_current_member()
    assert me["loginEmail"] == email and me["id"]

    renewed = client.auth.renew_token()
    assert renewed.refresh_token.role == "member" and renewed.access_token.value != tokens.access_token.value

    logout = client.auth.logout(f"{ORIGIN}/")
    assert "/oauth2/logout" in logout.logout_url and client.auth.get_tokens() == Tokens() and not client.auth.logged_in()
    assert recorder.grants == ["anonymous", "authorization_code", "refresh_token"]
    signed_out = follow_logout(http_browser, logout.logout_url)  # our page asks the browser to confirm
    assert signed_out.status_code in (302, 303) and signed_out.headers["location"] == f"{ORIGIN}/"


def test_prompt_none_and_query_mode_reuse_the_browser_session(site: Site, make_client: MakeClient, http_browser: httpx.Client) -> None:
    first = make_client(OAuthStrategy(site.client_id))
    email = fresh_email()
    member_login(first, http_browser, email)
    # A second app session (another tab, say): no form this time, the browser is signed in.
    second = make_client(OAuthStrategy(site.client_id))
    oauth_data = second.auth.generate_oauth_data(CALLBACK)
    url = second.auth.get_auth_url(oauth_data, response_mode="query", prompt="none").auth_url
    landed = http_browser.get(url)
    assert landed.status_code == 303 and landed.headers["location"].startswith(CALLBACK + "?")
    callback = second.auth.parse_from_url(landed.headers["location"])
    second.auth.set_tokens(second.auth.get_member_tokens(callback.code, callback.state, oauth_data))
    assert second.members.get_current_member()["loginEmail"] == email


def test_login_callback_errors(site: Site, make_client: MakeClient, http_browser: httpx.Client) -> None:
    client = make_client(OAuthStrategy(site.client_id))
    oauth_data = client.auth.generate_oauth_data(CALLBACK)
    # prompt=none without a browser session: the callback carries an error, not a code.
    landed = http_browser.get(client.auth.get_auth_url(oauth_data, prompt="none").auth_url)
    callback = client.auth.parse_from_url(landed.headers["location"])
    assert callback.code is None and callback.error == "login_required" and callback.state == oauth_data.state
    with pytest.raises(AuthorizationError) as raised:
        callback.raise_for_error()
    assert raised.value.error == "login_required"
    with pytest.raises(AuthorizationError, match="no code"):
        client.auth.get_member_tokens(callback.code, callback.state, oauth_data)

    location = browser_login(http_browser, client.auth.get_auth_url(oauth_data).auth_url, fresh_email())
    callback = client.auth.parse_from_url(location)
    with pytest.raises(AuthorizationError) as foreign:
        client.auth.get_member_tokens(callback.code, callback.state, client.auth.generate_oauth_data(CALLBACK))
    assert foreign.value.error == "invalid_state"
    # The right state but another login's verifier: the server refuses the code.
    other = OAuthData(CALLBACK, "", "x" * 43, oauth_data.code_challenge, oauth_data.state)
    with pytest.raises(TokenError) as refused:
        client.auth.get_member_tokens(callback.code, callback.state, other)
    assert refused.value.status == 400 and refused.value.error == "invalid_grant"


def test_unapproved_redirect_uri_is_a_validation_error(site: Site, make_client: MakeClient) -> None:
    client = make_client(OAuthStrategy(site.client_id))
    with pytest.raises(ValidationError) as raised:
        client.auth.get_auth_url(client.auth.generate_oauth_data("https://evil.example.com/cb"))
    error = raised.value
    assert error.status == 400 and error.code == "INVALID_ARGUMENT" and error.request_id
    violations = [(v.field, v.violated_rule) for v in error.violations]
    assert violations == [("auth.authRequest.redirectUri", "REDIRECT_URI_NOT_APPROVED")]


def test_unknown_client_id_is_a_token_error(make_client: MakeClient) -> None:
    client = make_client(OAuthStrategy("7c1f0d2e-0000-4000-8000-000000000000"), modules=[data])
    with pytest.raises(TokenError) as raised:
        client.data.query("Anything").find()
    assert raised.value.status == 401 and raised.value.error == "invalid_client"


# --- AppStrategy + oauth_apps -------------------------------------------------------------------


def test_manage_oauth_apps_with_app_strategy(tenant: Tenant, make_client: MakeClient, recorder: GrantRecorder) -> None:
    client = make_client(AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id), modules=[oauth_apps])
    created = client.oauth_apps.create({"name": "alpha shop", "allowedRedirectUris": [CALLBACK]})
    assert created["secret"].startswith("oas_") and created["allowedRedirectUris"] == [CALLBACK]
    app_id = created["id"]
    got = client.oauth_apps.get(app_id)
    assert got["name"] == "alpha shop" and "secret" not in got

    updated = client.oauth_apps.update(app_id, {"name": "alpha store", "description": "ignored"}, mask=["name"])
    assert updated["name"] == "alpha store" and updated["description"] == ""
    updated = client.oauth_apps.update(app_id, {"allowedRedirectDomains": ["shop.example.com"]})
    assert updated["allowedRedirectDomains"] == ["shop.example.com"] and updated["name"] == "alpha store"

    for name in ("alpha two", "alpha three", "beta"):
        client.oauth_apps.create({"name": name})
    page = client.oauth_apps.query().starts_with("name", "alpha").ascending("name").limit(2).find()
    assert [a["name"] for a in page] == ["alpha store", "alpha three"]
    assert page.total_count == 3 and page.has_next() and not page.has_prev() and page.total_pages == 2
    rest = page.next()
    assert [a["name"] for a in rest.items] == ["alpha two"] and not rest.has_next() and rest.has_prev()
    assert [a["name"] for a in rest.prev()] == ["alpha store", "alpha three"]
    with pytest.raises(IndexError):
        rest.next()
    by_id = client.oauth_apps.query().eq("_id", app_id).find()
    assert [a["id"] for a in by_id] == [app_id] and by_id.query.to_wire()["filter"] == {"id": app_id}
    skipped = client.oauth_apps.query().descending("name").skip(1).limit(1).find()
    assert [a["name"] for a in skipped] == ["alpha two"] and skipped.offset == 1

    client.oauth_apps.delete(app_id)
    with pytest.raises(NotFoundError) as missing:
        client.oauth_apps.get(app_id)
    assert missing.value.status == 404 and missing.value.code == "OAUTH_APP_NOT_FOUND"
    assert recorder.grants == ["client_credentials"], "the app token is cached"


def test_generate_and_rotate_secret(tenant: Tenant, make_client: MakeClient) -> None:
    client = make_client(AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id))
    app = client.oauth_apps.create({"name": "deferred secret", "allowSecretGeneration": True})
    assert "secret" not in app and app["allowSecretGeneration"] is True
    first = client.oauth_apps.generate_secret(app["id"])
    with pytest.raises(ConflictError) as again:
        client.oauth_apps.generate_secret(app["id"])
    assert again.value.status == 409 and again.value.code == "SECRET_ALREADY_GENERATED"

    second = client.oauth_apps.rotate_secret(app["id"], grace_period_seconds=300)
    assert second != first
    for secret in (first, second):  # the old one still works during the grace period
        admin = make_client(ClientCredentialsStrategy(app["id"], secret), modules=[members])
        assert admin.members.list_members().total == 0
    with pytest.raises(ValidationError) as bad:
        client.oauth_apps.rotate_secret(app["id"], grace_period_seconds=-1)
    assert [v.field for v in bad.value.violations] == ["gracePeriodSeconds"]


def test_validation_and_permission_errors(make_tenant: Callable[..., Tenant], tenant: Tenant, make_client: MakeClient) -> None:
    client = make_client(AppStrategy(tenant.app_id, tenant.app_secret, tenant.instance_id))
    with pytest.raises(ValidationError) as invalid:
        client.oauth_apps.create({"name": "x", "allowedRedirectUris": ["not a url"]})
    error = invalid.value
    assert error.status == 400 and error.code == "INVALID_ARGUMENT"
    assert {v.field for v in error.violations} >= {"oAuthApp.name", "oAuthApp.allowedRedirectUris[0]"}
    assert all(v.description and v.violated_rule for v in error.violations)

    reader = make_tenant(scopes=(OAUTH_APP_READ,), name="read only")
    read_only = make_client(AppStrategy(reader.app_id, reader.app_secret, reader.instance_id))
    assert read_only.oauth_apps.query().find().items == []
    with pytest.raises(PermissionDeniedError) as denied:
        read_only.oauth_apps.create({"name": "not allowed"})
    assert denied.value.status == 403 and denied.value.code == "PERMISSION_DENIED"

    with pytest.raises(TokenError) as wrong_secret:
        make_client(AppStrategy(tenant.app_id, "oas_wrong", tenant.instance_id)).oauth_apps.query().find()
    assert wrong_secret.value.status == 401 and wrong_secret.value.error == "invalid_client"


# --- ApiKeyStrategy -----------------------------------------------------------------------------


def test_api_key_strategy(
    http: httpx.Client,
    tenant: Tenant,
    site: Site,
    make_client: MakeClient,
    recorder: GrantRecorder,
) -> None:
    owner = make_client(ApiKeyStrategy(tenant.api_key, tenant.project_id))
    assert site.client_id in {a["id"] for a in owner.oauth_apps.query().find()}
    collection = create_collection(http, tenant, read="ADMIN", insert="ADMIN", update="ADMIN", remove="ADMIN")
    item = owner.data.insert(collection, {"title": "Owner's"})
    assert owner.data.get(collection, item["_id"])["title"] == "Owner's"
    assert recorder.grants == [], "an API key needs no token"
    with pytest.raises(UnauthenticatedError) as bad_key:
        make_client(ApiKeyStrategy("not-a-key", tenant.project_id)).oauth_apps.query().find()
    assert bad_key.value.status == 401 and bad_key.value.code == "UNAUTHENTICATED"


# --- ClientCredentialsStrategy (admin) + data + members -----------------------------------------


def test_admin_data_crud_and_members(
    http: httpx.Client,
    site: Site,
    make_client: MakeClient,
    http_browser: httpx.Client,
    recorder: GrantRecorder,
) -> None:
    email = fresh_email()
    member_login(make_client(OAuthStrategy(site.client_id)), http_browser, email)
    recorder.grants.clear()
    admin = make_client(ClientCredentialsStrategy(site.client_id, site.secret), modules=[data, members])
    listed = admin.members.list_members(limit=10)
    assert listed.total == 1 and [m["loginEmail"] for m in listed.members] == [email]
    assert admin.members.get_member(listed.members[0]["id"])["loginEmail"] == email
    with pytest.raises(PermissionDeniedError) as not_member:
        admin.members.get_current_member()
    assert not_member.value.code == "MEMBER_TOKEN_REQUIRED"

    collection = create_collection(http, site.tenant, read="ADMIN", insert="ADMIN", update="ADMIN", remove="ADMIN")
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    item = admin.data.insert(collection, {"title": "Lamp", "since": when}, id="lamp-1")
    assert item["_id"] == "lamp-1" and item["since"] == when and isinstance(item["_createdDate"], datetime)
    with pytest.raises(ConflictError) as duplicate:
        admin.data.insert(collection, {"_id": "lamp-1"})
    assert duplicate.value.code == "WDE0074"
    replaced = admin.data.update(collection, {"_id": "lamp-1", "name": "Desk lamp"})
    assert replaced["name"] == "Desk lamp" and "title" not in replaced
    assert admin.data.get(collection, "lamp-1")["name"] == "Desk lamp"
    assert admin.data.remove(collection, "lamp-1")["_id"] == "lamp-1"
    with pytest.raises(NotFoundError) as gone:
        admin.data.get(collection, "lamp-1")
    assert gone.value.status == 404 and gone.value.code == "WDE0073"
    with pytest.raises(ValueError, match="item id"):
        admin.data.update(collection, {"name": "no id"})
    assert recorder.grants == ["client_credentials"]

    visitor = make_client(OAuthStrategy(site.client_id), modules=[data])
    with pytest.raises(PermissionDeniedError) as denied:
        visitor.data.query(collection).find()
    assert denied.value.status == 403 and denied.value.code == "WDE0027"


@pytest.mark.parametrize(
    ("build", "titles"),
    [
        (lambda q: q.eq("tag", "fruit").ascending("title"), ["Apple", "Cherry", "apricot"]),
        (lambda q: q.ne("tag", "fruit").ascending("title"), ["Banana", "Juice"]),
        (lambda q: q.gt("price", 3).ascending("price"), ["apricot", "Juice", "Cherry"]),
        (lambda q: q.ge("price", 3).lt("price", 12).ascending("price"), ["Apple", "apricot"]),
        (lambda q: q.le("price", 3).descending("price"), ["Apple", "Banana"]),
        (lambda q: q.starts_with("title", "ap").ascending("title"), ["Apple", "apricot"]),
        (lambda q: q.has_some("tag", "drink", "none"), ["Juice"]),
        (lambda q: q.has_some("tag", ["drink"]), ["Juice"]),
        (lambda q: q.exists("tag", False), ["Banana"]),
        (lambda q: q.eq("price", 2).or_(q.eq("price", 20)).ascending("price"), ["Banana", "Cherry"]),
        (lambda q: q.eq("tag", "fruit").and_(q.eq("stock", False)).ascending("price"), ["apricot", "Cherry"]),
        (lambda q: q.descending("price").skip(1).limit(2), ["Juice", "apricot"]),
    ],
)
def test_data_query_builder(
    http: httpx.Client,
    tenant: Tenant,
    make_client: MakeClient,
    build: Callable[[Query], Query],
    titles: list[str],
) -> None:
    collection = create_collection(http, tenant)
    fill_catalogue(http, tenant, collection)
    client = make_client(ApiKeyStrategy(tenant.api_key, tenant.project_id), modules=[data])
    page = build(client.data.query(collection)).find()
    assert [item["title"] for item in page] == titles


def test_data_query_paging_and_errors(http: httpx.Client, tenant: Tenant, make_client: MakeClient) -> None:
    collection = create_collection(http, tenant)
    fill_catalogue(http, tenant, collection)
    client = make_client(ApiKeyStrategy(tenant.api_key, tenant.project_id), modules=[data])
    page = client.data.query(collection).ascending("price").limit(2).find()
    seen = [item["title"] for item in page]
    while page.has_next():
        page = page.next()
        seen += [item["title"] for item in page]
    assert seen == ["Banana", "Apple", "apricot", "Juice", "Cherry"] and page.total_count == 5
    with pytest.raises(ValidationError) as too_many:
        client.data.query(collection).limit(101).find()
    assert [(v.field, v.violated_rule) for v in too_many.value.violations] == [("query.paging.limit", "OUT_OF_RANGE")]
    with pytest.raises(NotFoundError) as no_collection:
        client.data.query("Missing").find()
    assert no_collection.value.code == "WDE0025"


def test_data_writes_distinct_and_aggregate(http: httpx.Client, tenant: Tenant, make_client: MakeClient) -> None:
    collection = create_collection(http, tenant)
    client = make_client(ApiKeyStrategy(tenant.api_key, tenant.project_id), modules=[data])
    rows = [{"_id": "a", "kind": "x", "n": 1, "tags": ["t"]}, {"_id": "b", "kind": "x", "n": 2}, {"_id": "bad id", "n": 0}]
    inserted = client.data.bulk_insert(collection, rows)
    assert inserted.inserted == ["a", "b"] and [e[0] for e in inserted.errors] == [2]
    assert client.data.save(collection, {"_id": "c", "kind": "y", "n": 4})["n"] == 4
    patched = client.data.patch(collection, "a", increment_field("n", 9), append_to_array("tags", "u"), set_field("kind", "y"))
    assert (patched["n"], patched["tags"], patched["kind"]) == (10, ["t", "u"], "y")
    assert [i["_id"] for i in client.data.query(collection).has_all("tags", "t", "u").find()] == ["a"]
    assert [i["_id"] for i in client.data.query(collection).has_elements("tags", "u", "v").find()] == ["a"]
    assert client.data.distinct(collection, "kind") == ["x", "y"]
    groups = client.data.aggregate(collection, ["kind"], [count(), total("n")], having={"count": {"$gt": 1}})
    assert groups == [{"_id": {"kind": "y"}, "kind": "y", "count": 2, "nSum": 14}]
    assert client.data.bulk_update(collection, [{"_id": "b", "n": 3}]).updated == ["b"]
    assert client.data.bulk_save(collection, [{"_id": "b", "n": 3}, {"_id": "d"}]).inserted == ["d"]
    assert client.data.bulk_remove(collection, ["b", "gone"]).removed == ["b"]
    client.data.truncate(collection)
    assert client.data.query(collection).find().total_count == 0


# --- the client itself --------------------------------------------------------------------------


def test_strategy_belongs_to_one_client(server: Server, site: Site) -> None:
    strategy = OAuthStrategy(site.client_id)
    with pytest.raises(RuntimeError, match="not attached"):
        strategy.generate_visitor_tokens()
    with create_client(auth=strategy, base_url=server.base_url) as client:
        assert client.auth is strategy and client.base_url == server.base_url
        with pytest.raises(RuntimeError, match="another client"):
            create_client(auth=strategy, base_url=server.base_url)
    with pytest.raises(ValueError, match="http"):
        create_client(auth=OAuthStrategy(site.client_id), base_url="localhost:8080")


def test_transport_errors_are_not_wrapped(site: Site) -> None:
    from ..support.servers import free_port

    unreachable = f"http://127.0.0.1:{free_port()}"
    with create_client(auth=OAuthStrategy(site.client_id), base_url=unreachable, timeout=2) as client, pytest.raises(httpx.ConnectError):
        client.auth.generate_visitor_tokens()


# --- expiry and automatic renewal (2-second tokens) ---------------------------------------------


def test_expired_tokens_renew_themselves(
    http: httpx.Client,
    site: Site,
    short_server: Server,
    recorder: GrantRecorder,
    http_browser: httpx.Client,
) -> None:
    collection = create_collection(http, site.tenant)
    fill_catalogue(http, site.tenant, collection)
    with recorder.sync_client() as transport:

        def short(auth: Any) -> Client[Any]:
            return create_client(auth=auth, base_url=short_server.base_url, http_client=transport)

        visitor = short(OAuthStrategy(site.client_id))
        member = short(OAuthStrategy(site.client_id))
        admin = short(ClientCredentialsStrategy(site.client_id, site.secret))
        email = fresh_email()
        member_login(member, http_browser, email)
        assert len(visitor.data.query(collection).find().items) == 5
        assert admin.members.list_members().total >= 1
        member_refresh = member.auth.get_tokens().refresh_token
        assert member.auth.get_tokens().access_token.expires_at - time.time() <= 2
        recorder.grants.clear()

        time.sleep(2.5)  # every access token above has now expired
        assert len(visitor.data.query(collection).find().items) == 5
        assert member.members.get_current_member()["loginEmail"] == email
        assert admin.members.list_members().total >= 1
        assert recorder.grants == ["refresh_token", "refresh_token", "client_credentials"]
        assert member.auth.logged_in() and member.auth.get_tokens().refresh_token == member_refresh
        assert visitor.auth.get_tokens().refresh_token.role == "visitor"

        # The JS rule without a margin would still call this token valid for its last second.
        fresh = member.auth.get_tokens().access_token
        assert not fresh.is_expired(margin=0, now=fresh.expires_at) and fresh.is_expired(now=fresh.expires_at)


def test_a_member_whose_refresh_is_refused_is_not_downgraded(
    site: Site,
    short_server: Server,
    http_browser: httpx.Client,
) -> None:
    member = create_client(auth=OAuthStrategy(site.client_id), base_url=short_server.base_url)
    tokens = member_login(member, http_browser, fresh_email())
    revoke = {"client_id": site.client_id, "token": tokens.refresh_token.value}
    revoked = httpx.post(f"{short_server.base_url}/oauth2/revoke", data=revoke)
    assert revoked.status_code == 200
    time.sleep(2.5)
    with pytest.raises(TokenError) as refused:
        member.members.get_current_member()
    assert refused.value.error == "invalid_grant" and member.auth.logged_in(), "no silent switch to a visitor"
    member.close()


def test_members_write_calls(site: Site, make_client: MakeClient, http_browser: httpx.Client) -> None:
    member = make_client(OAuthStrategy(site.client_id), modules=[members])
    member_login(member, http_browser, fresh_email())
    me = member.members.get_current_member()
    updated = member.members.update_member(me["id"], {"profile": {"nickname": "Sync"}, "contact": {"firstName": "Ada"}})
    assert updated["profile"]["nickname"] == "Sync" and updated["contact"]["firstName"] == "Ada"
    slug = f"sync-{me['id'][:8]}"
    assert member.members.update_current_member_slug(slug)["profile"]["slug"] == slug
    with pytest.raises(ValidationError):
        member.members.update_member(me["id"], {"profile": {"photo": {"url": "javascript:x"}}})
    with pytest.raises(PermissionDeniedError):
        member.members.block_member(me["id"])
    second = make_client(OAuthStrategy(site.client_id), modules=[members])
    member_login(second, http_browser, fresh_email())
    with pytest.raises(ConflictError) as taken:
        second.members.update_current_member_slug(slug)
    assert taken.value.code == "SLUG_ALREADY_EXISTS"

    admin = make_client(ClientCredentialsStrategy(site.client_id, site.secret), modules=[members])
    other = admin.members.create_member({"loginEmail": fresh_email(), "profile": {"nickname": "Other"}})
    found = admin.members.query_members().eq("profile.nickname", "Other").find()
    assert [m["id"] for m in found] == [other["id"]]
    assert admin.members.block_member(other["id"])["status"] == "BLOCKED"
    assert admin.members.approve_member(other["id"])["status"] == "APPROVED"
    admin.members.delete_member(other["id"])
    with pytest.raises(NotFoundError):
        admin.members.get_member(other["id"])
