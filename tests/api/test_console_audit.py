"""The console's audit trail page on a real server, SQLite and PostgreSQL: console changes named
by the owner's email, the app page's pre-filtered link, filters and cursor pages, read-only
viewers, another project's owner refused, bad filters shown inline (never a 500), escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import httpx

from oauthapps.domain.owners import OwnerRole

from ..support.audit_log import seed_audit
from ..support.console import app_ids_of, console_session, create_owner, fresh_owner_email
from ..support.oauth_apps import create
from ..support.servers import Server
from ..support.tenants import Tenant

_ROW = re.compile(r"<tr>\s*<td><time", re.DOTALL)
_OLDER = re.compile(r'<a href="([^"]+)" rel="next">Older entries</a>')
_NEWEST = re.compile(r'<a href="([^"]+)">Newest entries</a>')


def rows(html: str) -> int:
    return len(_ROW.findall(html))


def audit_path(tenant: Tenant) -> str:
    return f"/console/p/{tenant.project_id}/audit"


def test_console_and_api_changes_are_listed_with_the_owner_as_actor(server: Server, http: httpx.Client, tenant: Tenant) -> None:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email)
    other = create(http, tenant, name="<script>alert(1)</script>")
    with console_session(server.base_url, email, tenant.project_id) as console:
        made = console.create_app("Storefront", domains="shop.example.com")
        assert made.status_code == 200
        [app_id] = [i for i in app_ids_of(console.get(console.apps_path).text) if i != other["id"]]
        saved = console.submit(console.app_path(app_id), console.app_path(app_id), {"domains": "new.example.com", "uris": ""})
        assert saved.status_code == 200

        page = console.get(audit_path(tenant))
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert 'href="/console/p/' + tenant.project_id + '/audit">Audit trail</a>' in page.text  # the nav
        assert rows(page.text) == 3
        assert f'{email} <span class="muted">(Console owner)</span>' in page.text
        assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert page.text.index("<td>Updated</td>") < page.text.index("<td>Created</td>")

        app_page = console.get(console.app_path(app_id)).text
        link = unescape(re.search(r'<a href="([^"]+)">Audit trail of this app</a>', app_page).group(1))  # type: ignore[union-attr]
        assert link == f"{audit_path(tenant)}?oAuthAppId={app_id}"
        only = console.get(link)
        assert rows(only.text) == 2 and "Changes to <a" in only.text and "Storefront" in only.text
        assert "allowedRedirectDomains" in only.text

        by_key = console.get(audit_path(tenant), actorType="app")
        assert rows(by_key.text) == 1 and "Installed app" in by_key.text
        assert rows(console.get(audit_path(tenant), action="oauth_app.updated").text) == 1
        assert rows(console.get(audit_path(tenant), **{"from": "2000-01-01T00:00", "to": "2000-01-02T00:00"}).text) == 0


def test_pages_older_entries_and_back_to_the_newest(server: Server, tenant: Tenant) -> None:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email, OwnerRole.VIEWER)  # viewers read the trail too
    seeded = seed_audit(server.database_url, tenant.project_id, 120, apps=1)
    with console_session(server.base_url, email, tenant.project_id) as console:
        first = console.get(audit_path(tenant), oAuthAppId=seeded.app_ids[0])
        assert first.status_code == 200 and rows(first.text) == 50 and not _NEWEST.search(first.text)
        seen = rows(first.text)
        older = _OLDER.search(first.text)
        pages = 1
        while older:
            page = console.get(audit_path(tenant) + unescape(older.group(1)))
            assert page.status_code == 200, page.text
            assert f'value="{seeded.app_ids[0]}"' in page.text  # the cursor's filter fills the form
            newest = _NEWEST.search(page.text)
            assert newest and unescape(newest.group(1)) == f"{audit_path(tenant)}?oAuthAppId={seeded.app_ids[0]}"
            seen += rows(page.text)
            older = _OLDER.search(page.text)
            pages += 1
        assert seen == 120 and pages == 3


def test_bad_filters_are_shown_inline_and_never_a_500(server: Server, tenant: Tenant) -> None:
    email = fresh_owner_email()
    create_owner(server.database_url, tenant.project_id, email)
    bad = [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01T00:00"}, "to"),
        ({"from": "2026-02-01T00:00", "to": "2026-01-01T00:00"}, "to"),
        ({"actorId": "someone"}, "actorId"),
        ({"actorType": "robot"}, "actorType"),
        ({"action": "<b>x</b>"}, "action"),
        ({"oAuthAppId": "x" * 5000}, "oAuthAppId"),
        ({"oAuthAppId": "a\x1bb"}, "oAuthAppId"),
        ({"cursor": "garbage"}, None),
    ]
    with console_session(server.base_url, email, tenant.project_id) as console:
        for params, field in bad:
            page = console.get(audit_path(tenant), **params)
            assert page.status_code == 400, (params, page.text)
            assert "These filters cannot be used" in page.text
            if field is not None:
                assert f'id="{field}-error"' in page.text and 'aria-invalid="true"' in page.text, params
            assert "<b>x</b>" not in page.text


def test_another_projects_owner_sees_none_of_it(server: Server, make_tenant: Callable[..., Tenant]) -> None:
    mine, theirs = make_tenant(name="Mine"), make_tenant(name="Theirs")
    their_owner = fresh_owner_email()
    create_owner(server.database_url, theirs.project_id, their_owner)
    seed_audit(server.database_url, mine.project_id, 3)
    with console_session(server.base_url, their_owner, theirs.project_id) as console:
        assert console.get(audit_path(mine)).status_code == 404
        assert rows(console.get(audit_path(theirs)).text) == 0
