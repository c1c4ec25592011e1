"""The console's Data pages over HTTP (no JavaScript), on a real server with SQLite and PostgreSQL:
collections (create, edit permissions, delete after typing the id) and items (browse, filter,
sort, view, insert, edit, delete), every change visible through the REST data API; the viewer
role, tenant isolation, CSRF, escaping, and bad input shown inline with nothing changed."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from oauthapps.domain.owners import OwnerRole

from ..support.console import ConsoleSession, console_session, create_owner, csrf_of, fresh_owner_email
from ..support.console_data import (
    collection_path,
    collections,
    data_path,
    get_item,
    insert_item,
    item_count,
    item_ids_of,
    item_path,
)
from ..support.data import create_collection
from ..support.servers import Server
from ..support.tenants import Tenant


def owner_of(server: Server, tenant: Tenant, role: OwnerRole = OwnerRole.OWNER) -> str:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email, role)
    return email


PERMISSIONS = {"read": "SITE_MEMBER", "insert": "SITE_MEMBER_AUTHOR", "update": "SITE_MEMBER_AUTHOR", "remove": "ADMIN"}


def assert_inline(response: httpx.Response, error_id: str) -> None:
    assert response.status_code == 400, response.text[:800]
    assert f'id="{error_id}"' in response.text, response.text[:3000]


def test_collections_create_edit_and_delete(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        listing = console.get(data_path(console))
        assert listing.status_code == 200 and "No collections yet" in listing.text and "New collection" in listing.text
        assert f'href="{data_path(console)}">Data</a>' in listing.text  # the nav link

        made = console.submit(
            f"{data_path(console)}/new", data_path(console), {"id": "Recipes", "display_name": "Our recipes", **PERMISSIONS}
        )
        assert made.status_code == 303 and made.headers["location"] == f"{collection_path(console, 'Recipes')}?created=1"
        assert collections(http, tenant)["Recipes"] == {"id": "Recipes", "displayName": "Our recipes", "permissions": PERMISSIONS}
        page = console.get(made.headers["location"])
        assert page.status_code == 200 and "The collection was created" in page.text and "No items yet" in page.text
        listing = console.get(data_path(console))
        assert "Our recipes" in listing.text and "The member who added it" in listing.text and "Admins only" in listing.text

        settings = f"{collection_path(console, 'Recipes')}/settings"
        opened = {"display_name": "", "read": "ANYONE", "insert": "SITE_MEMBER", "update": "ADMIN", "remove": "ADMIN"}
        saved = console.submit(settings, settings, opened)
        assert saved.status_code == 200 and "Saved." in saved.text
        assert collections(http, tenant)["Recipes"] == {
            "id": "Recipes",
            "displayName": "Recipes",
            "permissions": {k: v for k, v in opened.items() if k != "display_name"},
        }

        insert_item(http, tenant, "Recipes", {"title": "Soup"})
        for typed in ("", "recipes", "Recipes ", "Our recipes"):
            refused = console.submit(settings, f"{collection_path(console, 'Recipes')}/delete", {"confirm_id": typed})
            assert_inline(refused, "confirm_id-error")
            assert "1 item</strong>" in refused.text
        assert "Recipes" in collections(http, tenant)
        deleted = console.submit(settings, f"{collection_path(console, 'Recipes')}/delete", {"confirm_id": "Recipes"})
        assert deleted.status_code == 303 and "were deleted" in console.get(deleted.headers["location"]).text
        assert collections(http, tenant) == {}
        assert console.get(collection_path(console, "Recipes")).status_code == 404


def test_items_browse_filter_sort_view_insert_edit_and_delete(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    cid = create_collection(http, tenant)
    for i in range(30):
        insert_item(http, tenant, cid, {"title": f"Item {i:02d}", "n": i, "even": i % 2 == 0}, f"item{i:02d}")
    email = owner_of(server, tenant)
    owner_id = create_owner(server.database_url, tenant.project_id, email)
    with console_session(server.base_url, email, tenant.project_id) as console:
        base = collection_path(console, cid)
        first = console.get(base)  # newest first, 25 a page
        assert first.status_code == 200 and "of 30 items" in first.text and "Next page" in first.text
        assert item_ids_of(first.text)[:2] == ["item29", "item28"] and len(item_ids_of(first.text)) == 25
        second = console.get(base, page="2")
        assert item_ids_of(second.text) == ["item04", "item03", "item02", "item01", "item00"] and "Next page" not in second.text

        assert item_ids_of(console.get(base, f="title", m="is", v="Item 07", o="desc").text) == ["item07"]
        assert item_ids_of(console.get(base, f="n", m="is_number", v="7", o="desc").text) == ["item07"]
        assert item_ids_of(console.get(base, f="n", m="is", v="7", o="desc").text) == []  # the text "7" is not the number 7
        starts = console.get(base, f="title", m="starts", v="item 1", o="asc")  # case-insensitive, as the REST API's
        assert item_ids_of(starts.text) == [f"item1{i}" for i in range(10)] and "of 10 items that match" in starts.text
        evens = console.get(base, f="even", m="is_boolean", v="true", s="n", o="asc")
        assert item_ids_of(evens.text)[:3] == ["item00", "item02", "item04"] and "of 15 items" in evens.text
        by_title = console.get(base, s="title", o="asc")
        assert item_ids_of(by_title.text)[:2] == ["item00", "item01"]

        inserted = console.submit(f"{base}/new-item", f"{base}/items", {"id": "fresh", "data": '{"title": "Fresh", "tags": ["a", "b"]}'})
        assert inserted.status_code == 303 and inserted.headers["location"] == f"{item_path(console, cid, 'fresh')}?created=1"
        fresh = get_item(http, tenant, cid, "fresh") or {}
        assert (fresh["title"], fresh["tags"], fresh["_owner"]) == ("Fresh", ["a", "b"], owner_id)
        auto = console.submit(f"{base}/new-item", f"{base}/items", {"id": "", "data": '{"title": "Auto"}'})
        assert auto.status_code == 303 and item_count(http, tenant, cid) == 32

        page = console.get(inserted.headers["location"])
        assert page.status_code == 200 and "The item was added" in page.text and "&#34;title&#34;: &#34;Fresh&#34;" in page.text
        edited = console.submit(
            item_path(console, cid, "fresh"), item_path(console, cid, "fresh"), {"data": '{"title": "Fresher", "n": 99}'}
        )
        assert edited.status_code == 200 and "Saved." in edited.text
        after = get_item(http, tenant, cid, "fresh")
        assert after is not None and after["title"] == "Fresher" and after["n"] == 99 and "tags" not in after

        delete = f"{item_path(console, cid, 'fresh')}/delete"
        assert_inline(console.submit(item_path(console, cid, "fresh"), delete, {}), "confirm-error")
        assert get_item(http, tenant, cid, "fresh") is not None
        gone = console.submit(item_path(console, cid, "fresh"), delete, {"confirm": "yes"})
        assert gone.status_code == 303 and "The item was deleted" in console.get(gone.headers["location"]).text
        assert get_item(http, tenant, cid, "fresh") is None
        assert console.get(item_path(console, cid, "fresh")).status_code == 404


def test_a_viewer_sees_but_cannot_change(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    cid = create_collection(http, tenant)
    insert_item(http, tenant, cid, {"title": "Watched"}, "watched")
    email = owner_of(server, tenant, OwnerRole.VIEWER)
    with console_session(server.base_url, email, tenant.project_id) as console:
        listing = console.get(data_path(console))
        assert cid in listing.text and "New collection" not in listing.text
        browse = console.get(collection_path(console, cid))
        assert browse.status_code == 200 and "watched" in browse.text and "New item" not in browse.text and "Settings" not in browse.text
        page = console.get(item_path(console, cid, "watched"))
        main = page.text.split("<main", 1)[1]
        assert page.status_code == 200 and "Watched" in main and "<form" not in main and "<textarea" not in main
        for path in (f"{data_path(console)}/new", f"{collection_path(console, cid)}/settings", f"{collection_path(console, cid)}/new-item"):
            assert console.get(path).status_code == 403, path
        token = csrf_of(page.text)
        attempts = [
            (data_path(console), {"id": "Sneaky"}),
            (f"{collection_path(console, cid)}/settings", {"read": "ADMIN", "insert": "ADMIN", "update": "ADMIN", "remove": "ADMIN"}),
            (f"{collection_path(console, cid)}/delete", {"confirm_id": cid}),
            (f"{collection_path(console, cid)}/items", {"data": "{}"}),
            (item_path(console, cid, "watched"), {"data": '{"title": "Changed"}'}),
            (f"{item_path(console, cid, 'watched')}/delete", {"confirm": "yes"}),
        ]
        for action, fields in attempts:
            assert console.http.post(action, data={"csrf_token": token, **fields}).status_code == 403, action
    assert list(collections(http, tenant)) == [cid] and collections(http, tenant)[cid]["permissions"]["read"] == "ANYONE"
    assert item_count(http, tenant, cid) == 1 and (get_item(http, tenant, cid, "watched") or {})["title"] == "Watched"


def test_another_projects_collections_and_items_are_not_found(
    server: Server, http: httpx.Client, make_tenant: Callable[..., Tenant]
) -> None:
    a, b = make_tenant(name="Project A"), make_tenant(name="Project B")
    cid = create_collection(http, a)
    insert_item(http, a, cid, {"title": "Secret plans"}, "plans")
    email_b = owner_of(server, b)
    with console_session(server.base_url, email_b, b.project_id) as console:
        other = ConsoleSession(console.http, a.project_id)
        assert cid not in console.get(data_path(console)).text
        for path in (
            data_path(other),
            collection_path(other, cid),
            item_path(other, cid, "plans"),
            collection_path(console, cid),
            f"{collection_path(console, cid)}/settings",
            f"{collection_path(console, cid)}/new-item",
            item_path(console, cid, "plans"),
            collection_path(console, "9bad"),
            collection_path(console, "x" * 300),
            f"{collection_path(console, 'Nope')}/items/a%00b",
        ):
            response = console.get(path)
            assert response.status_code == 404, path
            assert "Secret plans" not in response.text
        token = csrf_of(console.get(data_path(console)).text)
        for action, fields in (
            (f"{collection_path(console, cid)}/delete", {"confirm_id": cid}),
            (item_path(console, cid, "plans"), {"data": "{}"}),
            (f"{item_path(console, cid, 'plans')}/delete", {"confirm": "yes"}),
            (f"{collection_path(console, cid)}/items", {"data": "{}"}),
        ):
            assert console.http.post(action, data={"csrf_token": token, **fields}).status_code == 404, action
        for forged in ({}, {"csrf_token": "0" * 64}):  # and without the session's token: refused before anything
            assert console.http.post(data_path(console), data={**forged, "id": "Forged"}).status_code == 403
    assert (get_item(http, a, cid, "plans") or {})["title"] == "Secret plans"
    assert item_count(http, a, cid) == 1 and collections(http, b) == {}


def test_bad_collection_input_is_shown_inline_and_changes_nothing(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    cid = create_collection(http, tenant, read="ADMIN")
    email = owner_of(server, tenant)
    ok_perms = {"read": "ANYONE", "insert": "ADMIN", "update": "ADMIN", "remove": "ADMIN"}
    with console_session(server.base_url, email, tenant.project_id) as console:
        new = f"{data_path(console)}/new"
        for fields, error_id in (
            ({"id": ""}, "id-error"),
            ({"id": "x" * 65}, "id-error"),
            ({"id": "9starts"}, "id-error"),
            ({"id": "Bell\x07"}, "id-error"),
            ({"id": "Esc\x1b[31m"}, "id-error"),
            ({"id": cid}, "id-error"),  # taken
            ({"id": "Fine", "display_name": "n" * 257}, "display_name-error"),
            ({"id": "Fine", "display_name": "line\nbreak"}, "display_name-error"),
            ({"id": "Fine", "display_name": "nul\x00"}, "display_name-error"),
            ({"id": "Fine", "read": "EVERYONE"}, "read-error"),
            ({"id": "Fine", "remove": ""}, "remove-error"),
        ):
            response = console.submit(new, data_path(console), {**ok_perms, **fields})
            assert_inline(response, error_id)
            assert "Nothing was saved" in response.text
        settings = f"{collection_path(console, cid)}/settings"
        for fields, error_id in (
            ({"update": "OWNER"}, "update-error"),
            ({"display_name": "\u2028"}, "display_name-error"),
            ({"display_name": "d" * 300}, "display_name-error"),
        ):
            assert_inline(console.submit(settings, settings, {**ok_perms, **fields}), error_id)
        repeated = console.http.post(
            settings, content=b"read=ANYONE&read=ADMIN", headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert repeated.status_code in (400, 403)
    assert list(collections(http, tenant)) == [cid] and collections(http, tenant)[cid]["permissions"]["read"] == "ADMIN"


def _deep(depth: int) -> str:
    return '{"a": ' + "[" * depth + "]" * depth + "}"


def test_bad_item_input_is_shown_inline_and_changes_nothing(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    cid = create_collection(http, tenant)
    insert_item(http, tenant, cid, {"title": "Kept"}, "kept")
    email = owner_of(server, tenant)
    bad_data = [
        "not json",
        "[1, 2]",
        '"text"',
        '{"title": "unterminated}',
        '{"a": 1,}',
        '{"1bad": 1}',
        '{"bad name": 1}',
        '{"t": "nul\\u0000"}',
        '{"t": "bell\x07"}',
        _deep(300),  # deeper than the data API stores
        _deep(5000),  # deeper than its JSON reader reads
        '{"big": "' + "x" * (600 * 1024) + '"}',  # over the item size limit
        '{"when": {"$date": "not a date"}}',
    ]
    with console_session(server.base_url, email, tenant.project_id) as console:
        base = collection_path(console, cid)
        for data in bad_data:
            response = console.submit(f"{base}/new-item", f"{base}/items", {"id": "", "data": data})
            assert_inline(response, "data-error")
            edit = console.submit(item_path(console, cid, "kept"), item_path(console, cid, "kept"), {"data": data})
            assert_inline(edit, "data-error")
            assert "Nothing was saved" in edit.text
        for item_id in ("kept", "has space", "x" * 65, "bad\x1b"):
            assert_inline(console.submit(f"{base}/new-item", f"{base}/items", {"id": item_id, "data": "{}"}), "id-error")
        huge = console.http.post(
            f"{base}/items", content=b"data=" + b"a" * (2 * 1024 * 1024), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert huge.status_code == 413
    assert item_count(http, tenant, cid) == 1 and (get_item(http, tenant, cid, "kept") or {})["title"] == "Kept"


def test_bad_filters_are_shown_inline(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    cid = create_collection(http, tenant)
    insert_item(http, tenant, cid, {"title": "One", "n": 1}, "one")
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        base = collection_path(console, cid)
        for params, error_id in (
            ({"f": "1bad", "v": "x"}, "f-error"),
            ({"f": "$where", "v": "x"}, "f-error"),
            ({"f": "a" * 200, "v": "x"}, "f-error"),
            ({"f": "title\x1b", "v": "x"}, "f-error"),
            ({"f": "", "v": "orphan"}, "f-error"),
            ({"f": "title", "v": "a\x00b"}, "v-error"),
            ({"f": "title", "v": "v" * 2000}, "v-error"),
            ({"f": "n", "m": "is_number", "v": "seven"}, "v-error"),
            ({"f": "n", "m": "is_number", "v": "1e999"}, "v-error"),
            ({"f": "n", "m": "is_boolean", "v": "yes"}, "v-error"),
            ({"f": "_createdDate", "m": "is", "v": "yesterday"}, "v-error"),
            ({"f": "_owner", "m": "starts", "v": "x"}, "f-error"),
            ({"f": "title", "m": "regex", "v": "x"}, "m-error"),
            ({"s": "no way"}, "s-error"),
            ({"o": "sideways"}, "o-error"),
        ):
            response = console.get(base, **params)
            assert_inline(response, error_id)
        for page in ("0", "-3", "x", "99999999999", "401"):
            assert console.get(base, page=page).status_code == 200
        assert item_ids_of(console.get(base, f="title", v="One").text) == ["one"]


def test_names_and_values_are_shown_as_text(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    hostile = "<script>alert(1)</script>"
    email = owner_of(server, tenant)
    with console_session(server.base_url, email, tenant.project_id) as console:
        made = console.submit(f"{data_path(console)}/new", data_path(console), {"id": "Hostile", "display_name": hostile, **PERMISSIONS})
        assert made.status_code == 303
        insert_item(http, tenant, "Hostile", {"title": hostile, "html": "</pre><img src=x onerror=alert(1)>"}, "h1")
        for response in (
            console.get(data_path(console)),
            console.get(collection_path(console, "Hostile")),
            console.get(item_path(console, "Hostile", "h1")),
            console.get(collection_path(console, "Hostile"), f="title", v=hostile),
        ):
            assert response.status_code == 200
            assert hostile not in response.text and "<img src=x" not in response.text
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
