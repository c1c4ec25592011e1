"""The console's routes, and ``/`` leading to it."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import apps, auth, installed, keys, members

APP = "/console/p/{project_id}/apps/{app_id}"
MEMBER = "/console/p/{project_id}/members/{member_id}"
KEY = "/console/p/{project_id}/keys/{key_id}"

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
]
