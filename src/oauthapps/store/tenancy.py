"""Projects, platform apps, their installations on projects, and owner API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from .change_log import ChangeKind, record_change
from .schema import api_keys, installations, platform_apps, projects


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class PlatformApp:
    id: str
    name: str
    secret_hash: str
    scopes: list[str]


@dataclass(frozen=True)
class Installation:
    id: str
    app_id: str
    project_id: str
    scopes: list[str]


@dataclass(frozen=True)
class ApiKey:
    id: str
    project_id: str
    name: str


@dataclass(frozen=True)
class ListedKey:
    """An API key as an owner sees it: never the key, only its hint."""

    id: str
    name: str
    hint: str | None
    created_at: datetime


@dataclass(frozen=True)
class InstalledApp:
    """A platform app installed on a project, with the scopes the installation holds."""

    instance_id: str
    app_id: str
    app_name: str
    scopes: list[str]
    installed_at: datetime


async def create_project(conn: AsyncConnection, name: str) -> Project:
    project = Project(id=ids.random_uuid(), name=name, created_at=clock.now())
    await conn.execute(insert(projects).values(id=project.id, name=name, created_at=project.created_at))
    return project


async def get_project(conn: AsyncConnection, project_id: str) -> Project | None:
    row = (await conn.execute(select(projects).where(projects.c.id == project_id))).first()
    return Project(row.id, row.name, row.created_at) if row else None


async def find_project_by_name(conn: AsyncConnection, name: str) -> Project | None:
    row = (await conn.execute(select(projects).where(projects.c.name == name).order_by(projects.c.created_at))).first()
    return Project(row.id, row.name, row.created_at) if row else None


async def list_projects(conn: AsyncConnection) -> list[Project]:
    rows = await conn.execute(select(projects).order_by(projects.c.created_at))
    return [Project(r.id, r.name, r.created_at) for r in rows]


async def create_platform_app(conn: AsyncConnection, name: str, secret_hash: str, scopes: list[str]) -> PlatformApp:
    app = PlatformApp(id=ids.random_uuid(), name=name, secret_hash=secret_hash, scopes=scopes)
    await conn.execute(insert(platform_apps).values(id=app.id, name=name, secret_hash=secret_hash, scopes=scopes, created_at=clock.now()))
    return app


async def get_platform_app(conn: AsyncConnection, app_id: str) -> PlatformApp | None:
    row = (await conn.execute(select(platform_apps).where(platform_apps.c.id == app_id))).first()
    return PlatformApp(row.id, row.name, row.secret_hash, list(row.scopes)) if row else None


async def find_platform_app_by_name(conn: AsyncConnection, name: str) -> PlatformApp | None:
    row = (await conn.execute(select(platform_apps).where(platform_apps.c.name == name))).first()
    return PlatformApp(row.id, row.name, row.secret_hash, list(row.scopes)) if row else None


async def set_platform_app_secret(conn: AsyncConnection, app_id: str, secret_hash: str) -> None:
    await conn.execute(platform_apps.update().where(platform_apps.c.id == app_id).values(secret_hash=secret_hash))


async def install(conn: AsyncConnection, app: PlatformApp, project_id: str) -> Installation:
    existing = (
        await conn.execute(select(installations).where(installations.c.app_id == app.id, installations.c.project_id == project_id))
    ).first()
    if existing:
        return Installation(existing.id, existing.app_id, existing.project_id, list(existing.scopes))
    inst = Installation(id=ids.random_uuid(), app_id=app.id, project_id=project_id, scopes=list(app.scopes))
    try:
        async with conn.begin_nested():
            await conn.execute(
                insert(installations).values(id=inst.id, app_id=app.id, project_id=project_id, scopes=inst.scopes, created_at=clock.now())
            )
    except IntegrityError:
        # A concurrent install of the same pair won the race: answer with its installation.
        return await install(conn, app, project_id)
    return inst


async def get_installation(conn: AsyncConnection, instance_id: str) -> Installation | None:
    row = (await conn.execute(select(installations).where(installations.c.id == instance_id))).first()
    return Installation(row.id, row.app_id, row.project_id, list(row.scopes)) if row else None


async def uninstall(conn: AsyncConnection, instance_id: str) -> bool:
    result = await conn.execute(delete(installations).where(installations.c.id == instance_id))
    if result.rowcount == 0:
        return False
    await record_change(conn, ChangeKind.INSTALLATION, instance_id)
    return True


async def installed_apps(conn: AsyncConnection, project_id: str, limit: int) -> list[InstalledApp]:
    """At most ``limit`` of the project's installations (ix_installations_project_id), by app name."""
    rows = await conn.execute(
        select(installations.c.id, installations.c.app_id, platform_apps.c.name, installations.c.scopes, installations.c.created_at)
        .join(platform_apps, platform_apps.c.id == installations.c.app_id)
        .where(installations.c.project_id == project_id)
        .order_by(platform_apps.c.name, installations.c.id)
        .limit(limit)
    )
    return [InstalledApp(r.id, r.app_id, r.name, list(r.scopes), r.created_at) for r in rows]


async def create_api_key(conn: AsyncConnection, project_id: str, name: str, key_hash: str, hint: str | None = None) -> ApiKey:
    key = ApiKey(id=ids.random_uuid(), project_id=project_id, name=name)
    await conn.execute(
        insert(api_keys).values(id=key.id, project_id=project_id, name=name, key_hash=key_hash, hint=hint, created_at=clock.now())
    )
    return key


async def list_api_keys(conn: AsyncConnection, project_id: str, limit: int) -> list[ListedKey]:
    """At most ``limit`` of the project's keys (by the project_id index), oldest first."""
    rows = await conn.execute(
        select(api_keys.c.id, api_keys.c.name, api_keys.c.hint, api_keys.c.created_at)
        .where(api_keys.c.project_id == project_id)
        .order_by(api_keys.c.created_at, api_keys.c.id)
        .limit(limit)
    )
    return [ListedKey(r.id, r.name, r.hint, r.created_at) for r in rows]


async def count_api_keys(conn: AsyncConnection, project_id: str) -> int:
    return int((await conn.execute(select(func.count()).select_from(api_keys).where(api_keys.c.project_id == project_id))).scalar_one())


async def delete_api_key(conn: AsyncConnection, project_id: str, key_id: str) -> bool:
    """False when the project has no such key; the change log entry evicts the project's cached
    keys in every process, so the key stops working at once."""
    result = await conn.execute(delete(api_keys).where(api_keys.c.project_id == project_id, api_keys.c.id == key_id))
    if not result.rowcount:
        return False
    await record_change(conn, ChangeKind.PROJECT_KEYS, project_id)
    return True


async def find_api_key(conn: AsyncConnection, key_hash: str) -> ApiKey | None:
    row = (await conn.execute(select(api_keys).where(api_keys.c.key_hash == key_hash))).first()
    return ApiKey(row.id, row.project_id, row.name) if row else None


async def delete_api_keys_named(conn: AsyncConnection, project_id: str, name: str) -> None:
    result = await conn.execute(delete(api_keys).where(api_keys.c.project_id == project_id, api_keys.c.name == name))
    if result.rowcount:
        await record_change(conn, ChangeKind.PROJECT_KEYS, project_id)


async def requires_owner_approval(conn: AsyncConnection, project_id: str) -> bool:
    """Whether new members of the project wait for the owner's approval (read at registration)."""
    value = (await conn.execute(select(projects.c.require_owner_approval).where(projects.c.id == project_id))).scalar_one_or_none()
    return bool(value)


async def set_owner_approval(conn: AsyncConnection, project_id: str, required: bool) -> bool:
    """False when there is no such project."""
    result = await conn.execute(update(projects).where(projects.c.id == project_id).values(require_owner_approval=required))
    return bool(result.rowcount)


async def requires_email_verification(conn: AsyncConnection, project_id: str) -> bool:
    """Whether members must type a mailed code before they get a session (read at each sign-in)."""
    value = (await conn.execute(select(projects.c.require_email_verification).where(projects.c.id == project_id))).scalar_one_or_none()
    return bool(value)


async def set_email_verification(conn: AsyncConnection, project_id: str, required: bool) -> bool:
    """False when there is no such project."""
    result = await conn.execute(update(projects).where(projects.c.id == project_id).values(require_email_verification=required))
    return bool(result.rowcount)
