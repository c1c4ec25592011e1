"""The ``oauthapps`` command: serve, set up projects and apps, manage OAuth apps as an owner.

Every command takes ``--database URL`` (default: the SQLite file ``serve`` uses) and goes through
the same service code as the HTTP API. ``--json`` prints machine-readable output for scripts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .config import ACCESS_TOKEN_SECONDS, Settings
from .domain.errors import DomainError, NotFound, ValidationFailed
from .domain.oauth_app import to_wire
from .http.auth import ALL_OWNER_SCOPES
from .services import callers
from .services import data as data_service
from .services import member_accounts as member_service
from .services import oauth_apps as oauth_app_service
from .services import purge as purge_service
from .services import tenancy as tenancy_service
from .services.actor import Actor
from .services.callers import Caller
from .store import oauth_apps as oauth_app_repo
from .store import tenancy as tenancy_repo
from .store.database import Database, default_database_url
from .store.migrate import upgrade
from .tokens import keys as signing_keys
from .tokens.key_encryption import KeyEncryptionError, startup_notice

app = typer.Typer(help="oauthapps: a self-hosted OAuth Apps platform.", no_args_is_help=True, add_completion=False)
projects_app = typer.Typer(help="Projects (tenants) and their owner API keys.", no_args_is_help=True)
apps_app = typer.Typer(help="Platform apps that owners install on projects.", no_args_is_help=True)
oauth_apps_app = typer.Typer(help="OAuth apps of a project, as its owner.", no_args_is_help=True)
keys_app = typer.Typer(help="Token signing keys.", no_args_is_help=True)
members_app = typer.Typer(help="Members of a project (people who sign in on the hosted login).", no_args_is_help=True)
app.add_typer(projects_app, name="projects")
app.add_typer(apps_app, name="apps")
app.add_typer(oauth_apps_app, name="oauth-apps")
app.add_typer(keys_app, name="keys")
app.add_typer(members_app, name="members")
data_app = typer.Typer(help="Project data (collections of items).", no_args_is_help=True)
collections_app = typer.Typer(help="Data collections and who may read, insert, update, remove.", no_args_is_help=True)
data_app.add_typer(collections_app, name="collections")
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True)

DatabaseOpt = Annotated[str | None, typer.Option("--database", help="Database URL (sqlite:///PATH or postgresql://...)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
ProjectOpt = Annotated[str, typer.Option("--project", help="Project ID.")]

T = TypeVar("T")


def _run(database: str | None, work: Callable[[Database], Awaitable[T]]) -> T:
    """Migrate, open the database, run one unit of work, report domain errors cleanly."""
    url = database or default_database_url()
    try:
        upgrade(url)
    except (ValueError, OSError, SQLAlchemyError) as exc:
        err_console.print(
            f"[red]error:[/red] cannot open the database {escape(_safe_url(url))}: {escape(type(exc).__name__)}: {escape(str(exc).splitlines()[0] if str(exc) else '')}"
        )
        raise typer.Exit(2) from None

    async def main() -> T:
        db = Database.open(url)
        try:
            return await work(db)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except KeyEncryptionError as err:
        err_console.print(f"[red]error:[/red] {escape(str(err))}", soft_wrap=True)
        raise typer.Exit(2) from None
    except DomainError as err:
        if isinstance(err, ValidationFailed):
            for v in err.violations:
                err_console.print(f"[red]error:[/red] {escape(v.field)}: {escape(v.description)}")
        else:
            err_console.print(f"[red]error:[/red] {escape(err.description)} ({err.code})")
        raise typer.Exit(1) from None


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True) if "://" in url else url
    except Exception:
        return url


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


def _owner(project_id: str) -> Actor:
    return Actor(project_id, ALL_OWNER_SCOPES, "cli", f"cli:{os.environ.get('USER', 'owner')}")


async def _require_project(db: Database, project_id: str) -> None:
    async with db.read() as conn:
        if await tenancy_repo.get_project(conn, project_id) is None:
            raise NotFound(f"No project {project_id}", code="PROJECT_NOT_FOUND")


# --- serve ------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    database: DatabaseOpt = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="Create the demo project and print its credentials.")] = False,
    issuer: Annotated[str | None, typer.Option(help="Issuer URL in tokens (default http://HOST:PORT).")] = None,
) -> None:
    """Start the HTTP server."""
    import uvicorn

    url = database or default_database_url()
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    os.environ["OAUTHAPPS_DATABASE_URL"] = url
    os.environ["OAUTHAPPS_HOST"] = public_host
    os.environ["OAUTHAPPS_PORT"] = str(port)
    if issuer:
        os.environ["OAUTHAPPS_ISSUER"] = issuer
    base = (issuer or f"http://{public_host}:{port}").rstrip("/")

    async def prepare(db: Database) -> dict[str, str] | None:
        notice = startup_notice(await signing_keys.ensure_key(db))
        if notice:
            err_console.print(f"[yellow]warning:[/yellow] {escape(notice)}", soft_wrap=True)
        return await tenancy_service.demo(db) if demo else None

    creds = _run(url, prepare)
    # Plain lines, never wrapped: people copy URLs, credentials and the curl line from here.
    banner = console.print if console.is_terminal else None
    lines = [
        f"oauthapps on {base}  (database: {_safe_url(url)})",
        f"  OAuth Apps API  {base}/oauth-app/v1/oauth-apps",
        f"  Token endpoint  {base}/oauth2/token",
        f"  API docs        {base}/docs" if Settings.from_env().api_docs else f"  OpenAPI         {base}/openapi.json",
    ]
    if creds:
        lines.append("Demo credentials (new on every start; secrets are stored only as hashes):")
        lines.extend(f"  {key:<11} {value}" for key, value in creds.items())
        lines.append(
            f"  try: curl -s -X POST {base}/oauth-app/v1/oauth-apps -H 'Authorization: {creds['apiKey']}' "
            f'-H \'wix-site-id: {creds["projectId"]}\' -d \'{{"oAuthApp":{{"name":"My site","allowedDomains":["localhost:3000"]}}}}\''
        )
    for line in lines:
        if banner is not None:
            banner(escape(line), soft_wrap=True, highlight=False)
        else:
            sys.stdout.write(line + "\n")
    sys.stdout.flush()
    uvicorn.run(
        "oauthapps.http.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


# --- projects, apps, installations ------------------------------------------------------------


@projects_app.command("create")
def projects_create(name: str, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Create a project and its owner API key (shown once)."""
    created = _run(database, lambda db: tenancy_service.create_project(db, name))
    data = {"projectId": created.project_id, "apiKey": created.api_key}
    if as_json:
        _print_json(data)
    else:
        console.print(f"Project [bold]{escape(name)}[/bold]: {created.project_id}\nAPI key (shown once): {created.api_key}")


@projects_app.command("list")
def projects_list(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """List projects."""

    async def work(db: Database) -> list[tenancy_repo.Project]:
        async with db.read() as conn:
            return await tenancy_repo.list_projects(conn)

    rows = _run(database, work)
    if as_json:
        _print_json([{"projectId": p.id, "name": p.name} for p in rows])
        return
    table = Table("project id", "name", "created")
    for p in rows:
        table.add_row(p.id, escape(p.name), p.created_at.isoformat(timespec="seconds"))
    console.print(table)


@apps_app.command("create")
def apps_create(
    name: str,
    scope: Annotated[list[str], typer.Option("--scope", help="Permission scope the app requests (repeatable).")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a platform app; prints its ID and secret (shown once)."""
    created = _run(database, lambda db: tenancy_service.create_app(db, name, scope))
    data = {"appId": created.app_id, "appSecret": created.app_secret}
    if as_json:
        _print_json(data)
    else:
        console.print(f"App [bold]{escape(name)}[/bold]: {created.app_id}\nApp secret (shown once): {created.app_secret}")


@apps_app.command("install")
def apps_install(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Install an app on a project, granting the scopes it requests."""
    instance_id = _run(database, lambda db: tenancy_service.install(db, app_id, project))
    if as_json:
        _print_json({"instanceId": instance_id})
    else:
        console.print(f"Installed; instance id: {instance_id}")


@app.command()
def demo(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Create (once) a demo project with an installed app that may manage OAuth apps; print credentials."""
    creds = _run(database, tenancy_service.demo)
    if as_json:
        _print_json(creds)
    else:
        for key, value in creds.items():
            console.print(f"{key:<11} {value}")


# --- OAuth apps -------------------------------------------------------------------------------


def _apps_table(apps: list[dict[str, Any]]) -> Table:
    table = Table("id (client id)", "name", "redirect URIs", "domains", "created")
    for a in apps:
        table.add_row(
            a["id"],
            escape(a["name"]),
            escape("\n".join(a["allowedRedirectUris"])),
            "\n".join(a["allowedRedirectDomains"]),
            a["createdDate"],
        )
    return table


def _body(name: str | None, description: str | None, redirect_uri: list[str] | None, domain: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if redirect_uri is not None:
        body["allowedRedirectUris"] = redirect_uri
    if domain is not None:
        body["allowedRedirectDomains"] = domain
    return body


NameOpt = Annotated[str | None, typer.Option(help="Name (2-256 characters).")]
DescriptionOpt = Annotated[str | None, typer.Option(help="Description.")]
RedirectOpt = Annotated[list[str] | None, typer.Option("--redirect-uri", help="Allowed login redirect URI (repeatable).")]
DomainOpt = Annotated[list[str] | None, typer.Option("--domain", help="Allowed redirect domain (repeatable).")]


@oauth_apps_app.command("list")
def oauth_apps_list(
    project: ProjectOpt,
    limit: Annotated[int, typer.Option(help="At most this many (1-100).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a project's OAuth apps, newest first."""

    async def work(db: Database) -> tuple[list[dict[str, Any]], int]:
        await _require_project(db, project)
        query = {"sort": [{"fieldName": "createdDate", "order": "DESC"}], "paging": {"limit": limit, "offset": offset}}
        apps, total, _ = await oauth_app_service.query(db, _owner(project), query)
        return [to_wire(a) for a in apps], total

    apps, total = _run(database, work)
    if as_json:
        _print_json({"oAuthApps": apps, "total": total})
    else:
        console.print(_apps_table(apps))
        console.print(f"{len(apps)} of {total}")


@oauth_apps_app.command("show")
def oauth_apps_show(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Show one OAuth app (never its secret)."""

    async def work(db: Database) -> dict[str, Any]:
        await _require_project(db, project)
        return to_wire(await oauth_app_service.get(db, _owner(project), app_id))

    data = _run(database, work)
    if as_json:
        _print_json({"oAuthApp": data})
    else:
        for key, value in data.items():
            console.print(f"{key:<24} {escape(str(value))}")


@oauth_apps_app.command("create")
def oauth_apps_create(
    project: ProjectOpt,
    name: Annotated[str, typer.Option(help="Name (2-256 characters).")],
    description: DescriptionOpt = None,
    redirect_uri: RedirectOpt = None,
    domain: DomainOpt = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an OAuth app; its secret is printed once."""

    async def work(db: Database) -> dict[str, Any]:
        await _require_project(db, project)
        created = await oauth_app_service.create(db, _owner(project), _body(name, description, redirect_uri, domain))
        return {**to_wire(created.app), "secret": created.secret}

    data = _run(database, work)
    if as_json:
        _print_json({"oAuthApp": data})
    else:
        console.print(f"OAuth app {data['id']} created.\nClient ID: {data['id']}\nSecret (shown once): {data['secret']}")


@oauth_apps_app.command("update")
def oauth_apps_update(
    app_id: str,
    project: ProjectOpt,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    redirect_uri: RedirectOpt = None,
    domain: DomainOpt = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Update the fields given as options (a list option replaces the whole list)."""
    body = _body(name, description, redirect_uri, domain)

    async def work(db: Database) -> dict[str, Any]:
        await _require_project(db, project)
        return to_wire(await oauth_app_service.update(db, _owner(project), app_id, body, {"paths": list(body)}))

    data = _run(database, work)
    if as_json:
        _print_json({"oAuthApp": data})
    else:
        console.print(f"OAuth app {escape(app_id)} updated: {', '.join(body) or 'nothing to change'}")


@oauth_apps_app.command("delete")
def oauth_apps_delete(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete an OAuth app: its client ID and every token issued through it stop working."""

    async def work(db: Database) -> None:
        await _require_project(db, project)
        await oauth_app_service.delete(db, _owner(project), app_id)

    _run(database, work)
    if as_json:
        _print_json({})
    else:
        console.print(f"OAuth app {escape(app_id)} deleted.")


@app.command()
def audit(
    project: ProjectOpt,
    app_id: Annotated[str | None, typer.Option("--app", help="Only this OAuth app.")] = None,
    limit: Annotated[int, typer.Option(help="Most recent N entries.")] = 100,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show who changed which OAuth app fields, and when (never a secret)."""

    async def work(db: Database) -> list[oauth_app_repo.AuditEntry]:
        await _require_project(db, project)
        async with db.read() as conn:
            return await oauth_app_repo.list_audit(conn, project, app_id, limit)

    entries = _run(database, work)
    rows = [
        {
            "at": e.at.isoformat(),
            "oAuthAppId": e.oauth_app_id,
            "action": e.action,
            "actorType": e.actor_type,
            "actorId": e.actor_id,
            "fields": e.fields,
            "requestId": e.request_id,
        }
        for e in entries
    ]
    if as_json:
        _print_json({"entries": rows})
        return
    table = Table("at", "OAuth app", "action", "actor", "fields")
    for r in rows:
        table.add_row(r["at"], r["oAuthAppId"], r["action"], f"{r['actorType']}:{r['actorId']}", ", ".join(r["fields"]))
    console.print(table)


@members_app.command("create")
def members_create(
    project: ProjectOpt,
    email: Annotated[str, typer.Option(help="The member's email (their login).")],
    password: Annotated[str, typer.Option(help="At least 8 characters; stored as an argon2id hash.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a member who can sign in through the hosted login page."""

    async def work(db: Database) -> str:
        await _require_project(db, project)
        return (await member_service.create_member(db, project, email, password)).id

    member_id = _run(database, work)
    if as_json:
        _print_json({"memberId": member_id})
    else:
        console.print(f"Member {email}: {member_id}")


@members_app.command("delete")
def members_delete(
    project: ProjectOpt,
    member_id: Annotated[str, typer.Option("--member-id", help="The member to delete.")],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a member with their sessions and tokens (refused at once on every server)."""

    async def work(db: Database) -> None:
        await member_service.delete_member(db, project, member_id)

    _run(database, work)
    if as_json:
        _print_json({"memberId": member_id, "deleted": True})
    else:
        console.print(f"Member {member_id} deleted")


def _owner_caller(project_id: str) -> Caller:
    return Caller(project_id, callers.ADMIN, "cli")


PolicyOpt = typer.Option(help="ANYONE, SITE_MEMBER, SITE_MEMBER_AUTHOR or ADMIN.")


@collections_app.command("create")
def collections_create(
    collection_id: str,
    project: ProjectOpt,
    read: Annotated[str, PolicyOpt] = "ANYONE",
    insert: Annotated[str, PolicyOpt] = "ADMIN",
    update: Annotated[str, PolicyOpt] = "ADMIN",
    remove: Annotated[str, PolicyOpt] = "ADMIN",
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a data collection with a permission policy per operation."""
    permissions = {"read": read, "insert": insert, "update": update, "remove": remove}

    async def work(db: Database) -> dict[str, Any]:
        await _require_project(db, project)
        created = await data_service.create_collection(db, _owner_caller(project), collection_id, permissions)
        return data_service.collection_to_wire(created)

    data = _run(database, work)
    if as_json:
        _print_json({"collection": data})
    else:
        console.print(f"Collection {collection_id} created: {data['permissions']}")


@collections_app.command("list")
def collections_list(project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """List a project's data collections and their permissions."""

    async def work(db: Database) -> list[dict[str, Any]]:
        await _require_project(db, project)
        return [data_service.collection_to_wire(c) for c in await data_service.list_collections(db, _owner_caller(project))]

    rows = _run(database, work)
    if as_json:
        _print_json({"collections": rows})
        return
    table = Table("collection", "read", "insert", "update", "remove")
    for c in rows:
        p = c["permissions"]
        table.add_row(c["id"], p["read"], p["insert"], p["update"], p["remove"])
    console.print(table)


@collections_app.command("delete")
def collections_delete(collection_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a data collection and all its items."""
    _run(database, lambda db: data_service.delete_collection(db, _owner_caller(project), collection_id))
    if as_json:
        _print_json({})
    else:
        console.print(f"Collection {collection_id} deleted.")


@keys_app.command("rotate")
def keys_rotate(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Start signing with a new key; old public keys stay in the JWKS until their tokens expire."""
    kid = _run(database, lambda db: signing_keys.rotate(db, ACCESS_TOKEN_SECONDS))
    if as_json:
        _print_json({"kid": kid})
    else:
        console.print(f"New signing key {kid}; running servers pick it up within 30 s.")


@app.command()
def purge(database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete expired grants, codes, sessions and limiter rows now (servers also do it every 30 minutes)."""
    counts = _run(database, purge_service.purge_now)
    if counts is None:
        err_console.print("[red]error:[/red] another process is purging this database right now; try again later")
        raise typer.Exit(1)
    if as_json:
        _print_json(counts.to_wire())
    else:
        for name, deleted in counts.to_wire().items():
            console.print(f"{name:<15} {deleted} deleted")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
