"""The console's routes, and ``/`` leading to it."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import apps, audit, auth, data, installed, keys, members

APP = "/console/p/{project_id}/apps/{app_id}"
MEMBER = "/console/p/{project_id}/members/{member_id}"
KEY = "/console/p/{project_id}/keys/{key_id}"
DATA = "/console/p/{project_id}/data"
COLLECTION = f"{DATA}/collections/{{collection_id}}"
ITEM = f"{COLLECTION}/items/{{item_id}}"

routes: list[BaseRoute] = [
    Route("/", auth.root, methods=["GET"]),
    Route("/console", auth.home, methods=["GET"]),
    Route("/console/sign-in", auth.sign_in_form, methods=["GET"]),
    Route("/console/sign-in", auth.sign_in, methods=["POST"]),
    Route("/console/sign-out", auth.sign_out, methods=["POST"]),
    Route("/console/p/{project_id}/apps", apps.list_apps, methods=["GET"]),
    Route("/console/p/{project_id}/apps", apps.create_app, methods=["POST"]),
    Route("/console/p/{project_id}/apps/new", apps.new_app, methods=["GET"]),
    Route(APP, apps.show_app, methods=["GET"]),
    Route(APP, apps.update_app, methods=["POST"]),
    Route(f"{APP}/rotate", apps.rotate_secret, methods=["POST"]),
    Route(f"{APP}/delete", apps.delete_app, methods=["POST"]),
    Route("/console/p/{project_id}/installed-apps", installed.list_installed, methods=["GET"]),
    Route("/console/p/{project_id}/keys", keys.list_keys, methods=["GET"]),
    Route("/console/p/{project_id}/keys", keys.create_key, methods=["POST"]),
    Route(f"{KEY}/revoke", keys.confirm_revoke, methods=["GET"]),
    Route(f"{KEY}/revoke", keys.revoke_key, methods=["POST"]),
    Route("/console/p/{project_id}/members", members.list_members, methods=["GET"]),
    Route(MEMBER, members.show_member, methods=["GET"]),
    Route(f"{MEMBER}/approve", members.approve_member, methods=["POST"]),
    Route(f"{MEMBER}/unblock", members.unblock_member, methods=["POST"]),
    Route(f"{MEMBER}/block", members.block_member, methods=["POST"]),
    Route(f"{MEMBER}/delete", members.delete_member, methods=["POST"]),
    Route(DATA, data.list_collections, methods=["GET"]),
    Route(DATA, data.create_collection, methods=["POST"]),
    Route(f"{DATA}/new", data.new_collection, methods=["GET"]),
    Route(COLLECTION, data.show_collection, methods=["GET"]),
    Route(f"{COLLECTION}/settings", data.collection_settings, methods=["GET"]),
    Route(f"{COLLECTION}/settings", data.update_collection, methods=["POST"]),
    Route(f"{COLLECTION}/delete", data.delete_collection, methods=["POST"]),
    Route(f"{COLLECTION}/new-item", data.new_item, methods=["GET"]),
    Route(f"{COLLECTION}/items", data.insert_item, methods=["POST"]),
    Route(ITEM, data.show_item, methods=["GET"]),
    Route(ITEM, data.update_item, methods=["POST"]),
    Route(f"{ITEM}/delete", data.delete_item, methods=["POST"]),
    Route("/console/p/{project_id}/audit", audit.audit_trail, methods=["GET"]),
]
