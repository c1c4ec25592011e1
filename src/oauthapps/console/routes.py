"""The console's routes, and ``/`` leading to it."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from . import apps, audit, auth

APP = "/console/p/{project_id}/apps/{app_id}"

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
    Route("/console/p/{project_id}/audit", audit.audit_trail, methods=["GET"]),
]
