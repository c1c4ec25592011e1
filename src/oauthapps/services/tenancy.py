"""Owner-side set-up: projects with API keys, platform apps, installations, and the demo."""

from __future__ import annotations

from dataclasses import dataclass

from .. import clock
from ..domain import credentials
from ..domain.errors import FieldViolation, NotFound, ValidationFailed
from ..domain.scopes import KNOWN_SCOPES, OAUTH_APP_MANAGE
from ..store import tenancy as repo
from ..store.database import Database

DEMO_PROJECT = "Demo project"
DEMO_APP = "Demo OAuth manager"
DEMO_KEY_NAME = "demo"
# Owner API keys per project (each is listed on one console page), and installations listed.
MAX_API_KEYS = 50
MAX_LISTED_INSTALLATIONS = 200
KEY_NAME_MAX = 100


@dataclass(frozen=True)
class NewProject:
    project_id: str
    api_key: str


@dataclass(frozen=True)
class NewKey:
    key: repo.ListedKey
    secret: str  # shown once; only its hash is stored


@dataclass(frozen=True)
class NewApp:
    app_id: str
    app_secret: str


def _check_name(name: str) -> None:
    # The column is VARCHAR(256): PostgreSQL enforces it, SQLite would not, so check here.
    if not name.strip() or len(name) > 256:
        raise ValidationFailed([FieldViolation("name", "must be 1 to 256 characters", "LENGTH")])


async def create_project(db: Database, name: str) -> NewProject:
    _check_name(name)
    api_key = credentials.generate_secret(credentials.API_KEY_PREFIX)
    async with db.transaction() as conn:
        project = await repo.create_project(conn, name)
        await repo.create_api_key(conn, project.id, "owner", credentials.hash_secret(api_key), credentials.hint(api_key))
    return NewProject(project.id, api_key)


def _check_scopes(scopes: list[str]) -> None:
    unknown = [s for s in scopes if s not in KNOWN_SCOPES]
    if unknown:
        raise ValidationFailed(
            [FieldViolation("scope", f"unknown scope {s!r}; known: {', '.join(sorted(KNOWN_SCOPES))}", "ENUM") for s in unknown]
        )


async def create_app(db: Database, name: str, scopes: list[str]) -> NewApp:
    _check_name(name)
    _check_scopes(scopes)
    secret = credentials.generate_secret(credentials.APP_SECRET_PREFIX)
    async with db.transaction() as conn:
        app = await repo.create_platform_app(conn, name, credentials.hash_secret(secret), list(dict.fromkeys(scopes)))
    return NewApp(app.id, secret)


async def install(db: Database, app_id: str, project_id: str) -> str:
    async with db.transaction() as conn:
        app = await repo.get_platform_app(conn, app_id)
        if app is None:
            raise NotFound(f"No app {app_id}", code="APP_NOT_FOUND")
        if await repo.get_project(conn, project_id) is None:
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
        return (await repo.install(conn, app, project_id)).id


async def installed_apps(db: Database, project_id: str) -> list[repo.InstalledApp]:
    """The apps installed on the project and the scopes each installation holds."""
    async with db.read() as conn:
        return await repo.installed_apps(conn, project_id, MAX_LISTED_INSTALLATIONS)


def _check_key_name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > KEY_NAME_MAX:
        raise ValidationFailed([FieldViolation("name", f"must be 1 to {KEY_NAME_MAX} characters", "LENGTH")])
    if not text.isprintable():
        raise ValidationFailed([FieldViolation("name", "must not contain control or format characters", "FORMAT")])
    return text


async def api_keys(db: Database, project_id: str) -> list[repo.ListedKey]:
    """The project's owner API keys, oldest first: their names and hints, never the keys."""
    async with db.read() as conn:
        return await repo.list_api_keys(conn, project_id, MAX_API_KEYS)


async def create_api_key(db: Database, project_id: str, name: str) -> NewKey:
    """A new owner API key (all of the owner's management rights); the key is returned once."""
    checked = _check_key_name(name)
    secret = credentials.generate_secret(credentials.API_KEY_PREFIX)
    async with db.transaction() as conn:
        if await repo.get_project(conn, project_id) is None:
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
        if await repo.count_api_keys(conn, project_id) >= MAX_API_KEYS:
            raise ValidationFailed(
                [FieldViolation("name", f"a project has at most {MAX_API_KEYS} API keys; revoke one first", "MAX_ITEMS")]
            )
        made = await repo.create_api_key(conn, project_id, checked, credentials.hash_secret(secret), credentials.hint(secret))
    listed = repo.ListedKey(made.id, checked, credentials.hint(secret), clock.now())
    return NewKey(listed, secret)


async def revoke_api_key(db: Database, project_id: str, key_id: str) -> None:
    """The key stops working at once on every server process (the change log evicts it)."""
    async with db.transaction() as conn:
        found = await repo.delete_api_key(conn, project_id, key_id[:64])
    if not found:
        raise NotFound("No such API key", code="API_KEY_NOT_FOUND")


async def demo(db: Database) -> dict[str, str]:
    """Idempotent: the demo project, app and installation are created once. Secrets are stored
    only as hashes, so each run issues a fresh demo API key and app secret (old ones stop working)."""
    api_key = credentials.generate_secret(credentials.API_KEY_PREFIX)
    app_secret = credentials.generate_secret(credentials.APP_SECRET_PREFIX)
    async with db.transaction() as conn:
        project = await repo.find_project_by_name(conn, DEMO_PROJECT) or await repo.create_project(conn, DEMO_PROJECT)
        await repo.delete_api_keys_named(conn, project.id, DEMO_KEY_NAME)
        await repo.create_api_key(conn, project.id, DEMO_KEY_NAME, credentials.hash_secret(api_key), credentials.hint(api_key))
        app = await repo.find_platform_app_by_name(conn, DEMO_APP)
        if app is None:
            app = await repo.create_platform_app(conn, DEMO_APP, credentials.hash_secret(app_secret), [OAUTH_APP_MANAGE])
        else:
            await repo.set_platform_app_secret(conn, app.id, credentials.hash_secret(app_secret))
        installation = await repo.install(conn, app, project.id)
    return {
        "projectId": project.id,
        "apiKey": api_key,
        "appId": app.id,
        "appSecret": app_secret,
        "instanceId": installation.id,
    }


async def set_owner_approval(db: Database, project_id: str, required: bool) -> None:
    """Applies to members who register from now on; members already there keep their status."""
    async with db.transaction() as conn:
        found = await repo.set_owner_approval(conn, project_id, required)
    if not found:
        raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")


async def set_email_verification(db: Database, project_id: str, required: bool) -> None:
    """Applies at each sign-in from now on: a member who has not verified her email yet is asked
    for a mailed code at her next login, whenever she registered."""
    async with db.transaction() as conn:
        found = await repo.set_email_verification(conn, project_id, required)
    if not found:
        raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")
