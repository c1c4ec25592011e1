"""``oauthapps oauth-apps``: a project's OAuth apps, managed as its owner through the same service
as the OAuth Apps API."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..domain.oauth_app import to_wire
from ..services import oauth_apps as oauth_app_service
from ..store.database import Database
from .output import emit, fields, message, table
from .owner import owner_actor, require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="OAuth apps of a project, as its owner.", no_args_is_help=True)

NameOpt = Annotated[str | None, typer.Option(help="Name (2-256 characters).")]
DescriptionOpt = Annotated[str | None, typer.Option(help="Description.")]
RedirectOpt = Annotated[list[str] | None, typer.Option("--redirect-uri", help="Allowed login redirect URI (repeatable).")]
DomainOpt = Annotated[list[str] | None, typer.Option("--domain", help="Allowed redirect domain (repeatable).")]
ExactOpt = Annotated[
    bool | None,
    typer.Option(
        "--require-exact-redirect-uri/--no-require-exact-redirect-uri",
        help="Login redirects must equal a --redirect-uri entry; domains never approve them.",
    ),
]


def _body(
    name: str | None, description: str | None, redirect_uri: list[str] | None, domain: list[str] | None, exact: bool | None = None
) -> dict[str, Any]:
    """The API's request body from the options given (an option left out is not sent)."""
    body: dict[str, Any] = {}
    if name is not None:
        body["name"] = name
    if description is not None:
        body["description"] = description
    if redirect_uri is not None:
        body["allowedRedirectUris"] = redirect_uri
    if domain is not None:
        body["allowedRedirectDomains"] = domain
    if exact is not None:
        body["requireExactRedirectUri"] = exact
    return body


@group.command("list")
def oauth_apps_list(
    project: ProjectOpt,
    limit: Annotated[int, typer.Option(help="At most this many (1-100).")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a project's OAuth apps, newest first."""

    async def work(db: Database) -> tuple[list[dict[str, Any]], int]:
        await require_project(db, project)
        query = {"sort": [{"fieldName": "createdDate", "order": "DESC"}], "paging": {"limit": limit, "offset": offset}}
        apps, total, _ = await oauth_app_service.query(db, owner_actor(project), query)
        return [to_wire(a) for a in apps], total

    apps, total = run(database, work)
    emit(
        {"oAuthApps": apps, "total": total},
        as_json,
        table(
            ("id (client id)", "name", "redirect URIs", "domains", "created"),
            [(a["id"], a["name"], a["allowedRedirectUris"], a["allowedRedirectDomains"], a["createdDate"]) for a in apps],
        ),
        message("{} of {}", len(apps), total),
    )


@group.command("show")
def oauth_apps_show(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Show one OAuth app (never its secret)."""

    async def work(db: Database) -> dict[str, Any]:
        await require_project(db, project)
        return to_wire(await oauth_app_service.get(db, owner_actor(project), app_id))

    shown = run(database, work)
    emit({"oAuthApp": shown}, as_json, *fields(shown, width=24))


@group.command("create")
def oauth_apps_create(
    project: ProjectOpt,
    name: Annotated[str, typer.Option(help="Name (2-256 characters).")],
    description: DescriptionOpt = None,
    redirect_uri: RedirectOpt = None,
    domain: DomainOpt = None,
    require_exact_redirect_uri: ExactOpt = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an OAuth app; its secret is printed once."""

    async def work(db: Database) -> dict[str, Any]:
        await require_project(db, project)
        created = await oauth_app_service.create(
            db, owner_actor(project), _body(name, description, redirect_uri, domain, require_exact_redirect_uri)
        )
        return {**to_wire(created.app), "secret": created.secret}

    created = run(database, work)
    emit(
        {"oAuthApp": created},
        as_json,
        message("OAuth app {} created.\nClient ID: {}\nSecret (shown once): {}", created["id"], created["id"], created["secret"]),
    )


@group.command("update")
def oauth_apps_update(
    app_id: str,
    project: ProjectOpt,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    redirect_uri: RedirectOpt = None,
    domain: DomainOpt = None,
    require_exact_redirect_uri: ExactOpt = None,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Update the fields given as options (a list option replaces the whole list)."""
    body = _body(name, description, redirect_uri, domain, require_exact_redirect_uri)

    async def work(db: Database) -> dict[str, Any]:
        await require_project(db, project)
        return to_wire(await oauth_app_service.update(db, owner_actor(project), app_id, body, {"paths": list(body)}))

    updated = run(database, work)
    emit({"oAuthApp": updated}, as_json, message("OAuth app {} updated: {}", app_id, ", ".join(body) or "nothing to change"))


@group.command("delete")
def oauth_apps_delete(app_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete an OAuth app: its client ID and every token issued through it stop working."""

    async def work(db: Database) -> None:
        await require_project(db, project)
        await oauth_app_service.delete(db, owner_actor(project), app_id)

    run(database, work)
    emit({}, as_json, message("OAuth app {} deleted.", app_id))
