"""``oauthapps data``: project data; ``data collections`` sets who may read, insert, update, remove."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..services import data as data_service
from ..store.database import Database
from .output import emit, message, table
from .owner import owner_caller, require_project
from .runner import DatabaseOpt, JsonOpt, ProjectOpt, run

group = typer.Typer(help="Project data (collections of items).", no_args_is_help=True)
collections = typer.Typer(help="Data collections and who may read, insert, update, remove.", no_args_is_help=True)
group.add_typer(collections, name="collections")

PolicyOpt = typer.Option(help="ANYONE, SITE_MEMBER, SITE_MEMBER_AUTHOR or ADMIN.")


@collections.command("create")
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
        await require_project(db, project)
        created = await data_service.create_collection(db, owner_caller(project), collection_id, permissions)
        return data_service.collection_to_wire(created)

    created = run(database, work)
    emit({"collection": created}, as_json, message("Collection {} created: {}", collection_id, created["permissions"]))


@collections.command("list")
def collections_list(project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """List a project's data collections and their permissions."""

    async def work(db: Database) -> list[dict[str, Any]]:
        await require_project(db, project)
        return [data_service.collection_to_wire(c) for c in await data_service.list_collections(db, owner_caller(project))]

    rows = run(database, work)
    emit(
        {"collections": rows},
        as_json,
        table(
            ("collection", "read", "insert", "update", "remove"),
            [(c["id"], *(c["permissions"][op] for op in ("read", "insert", "update", "remove"))) for c in rows],
        ),
    )


@collections.command("delete")
def collections_delete(collection_id: str, project: ProjectOpt, database: DatabaseOpt = None, as_json: JsonOpt = False) -> None:
    """Delete a data collection and all its items."""
    run(database, lambda db: data_service.delete_collection(db, owner_caller(project), collection_id))
    emit({}, as_json, message("Collection {} deleted.", collection_id))
