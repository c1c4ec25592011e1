"""The owner console over plain HTTP (a browser without JavaScript): owners made through the
service, as ``oauthapps owners create`` does, and a signed-in session that sends each form with
the CSRF token of the page it came from."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from oauthapps.domain.members import MemberStatus
from oauthapps.domain.owners import OwnerRole
from oauthapps.services import owners as owner_service
from oauthapps.store import members as members_repo
from oauthapps.store.database import Database

from .tenants import run_db

OWNER_PASSWORD = "console owner password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_APP_LINK = re.compile(r'/console/p/[^/"]+/apps/([0-9a-f-]{36})"')
_SECRET = re.compile(r'id="secret" class="secret" value="([^"]+)"')


def fresh_owner_email() -> str:
    return f"owner-{uuid.uuid4().hex[:10]}@example.com"


def create_owner(database_url: str, project_id: str, email: str, role: OwnerRole = OwnerRole.OWNER) -> str:
    async def work(db: Database) -> str:
        owner_id, _created = await owner_service.create_owner(db, project_id, email, OWNER_PASSWORD, role)
        return owner_id

    result: str = run_db(database_url, work)
    return result


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def app_ids_of(html: str) -> list[str]:
    return list(dict.fromkeys(_APP_LINK.findall(html)))


def secret_of(html: str) -> str:
    found = _SECRET.search(html)
    assert found, "no secret on the page"
    return found.group(1)


def seed_members(
    database_url: str, project_id: str, people: list[tuple[str, str]], status: MemberStatus = MemberStatus.APPROVED
) -> list[str]:
    """Members straight in the store (no password hashing), as (email, nickname)."""

    async def work(db: Database) -> list[str]:
        made = []
        async with db.transaction() as conn:
            for email, nickname in people:
                member = await members_repo.insert_member(conn, project_id, email, "x", nickname, status)
                assert member is not None
                made.append(member.id)
        return made

    result: list[str] = run_db(database_url, work)
    return result


@dataclass
class ConsoleSession:
    http: httpx.Client
    project_id: str

    @property
    def apps_path(self) -> str:
        return f"/console/p/{self.project_id}/apps"

    def app_path(self, app_id: str) -> str:
        return f"{self.apps_path}/{app_id}"

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params) if params else self.http.get(path)

    def submit(self, page_path: str, action: str, fields: dict[str, str]) -> httpx.Response:
        """Load the page, then post ``fields`` with its CSRF token to ``action``."""
        page = self.http.get(page_path)
        assert page.status_code == 200, page.text
        return self.http.post(action, data={"csrf_token": csrf_of(page.text), **fields})

    def create_app(self, name: str, domains: str = "", uris: str = "", description: str = "") -> httpx.Response:
        fields = {"name": name, "description": description, "domains": domains, "uris": uris}
        return self.submit(f"{self.apps_path}/new", self.apps_path, fields)


def sign_in(http: httpx.Client, email: str, password: str = OWNER_PASSWORD) -> httpx.Response:
    page = http.get("/console/sign-in")
    assert page.status_code == 200, page.text
    return http.post("/console/sign-in", data={"csrf_token": csrf_of(page.text), "email": email, "password": password})


@contextmanager
def console_session(base_url: str, email: str, project_id: str) -> Iterator[ConsoleSession]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        response = sign_in(http, email)
        assert response.status_code == 303, response.text
        yield ConsoleSession(http, project_id)
