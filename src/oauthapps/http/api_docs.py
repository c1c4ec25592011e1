"""``/docs``: Swagger UI for the management API, served from this server only.

The Swagger UI files come from an installed package (``fastapi-offline`` ships swagger-ui-dist's
bundle and stylesheet), the start-up script from ours (web/static/api-docs.js), and the page has
a Content-Security-Policy that allows scripts, styles and requests from this origin only, with no
inline script: nothing is loaded from a CDN, and an injected script would not run on the origin
that holds the hosted login's cookies. ``OAUTHAPPS_API_DOCS=off`` removes the page (404) and
leaves ``/openapi.json``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from .responses import application_error

OPENAPI_URL = "/openapi.json"
ASSETS = "/docs/assets"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_SWAGGER_DIST = resources.files("fastapi_offline") / "static"
_OURS = Path(__file__).resolve().parent.parent / "web" / "static"
# The only files served under ASSETS: a fixed list, never a path taken from the request.
FILES = {
    "swagger-ui-bundle.js": (Path(str(_SWAGGER_DIST / "swagger-ui-bundle.js")), "text/javascript; charset=utf-8"),
    "swagger-ui.css": (Path(str(_SWAGGER_DIST / "swagger-ui.css")), "text/css; charset=utf-8"),
    "favicon.png": (Path(str(_SWAGGER_DIST / "favicon.png")), "image/png"),
    "api-docs.js": (_OURS / "api-docs.js", "text/javascript; charset=utf-8"),
}
PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>oauthapps management API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="{ASSETS}/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{OPENAPI_URL}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/api-docs.js"></script>
</body>
</html>
"""
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY", "Cache-Control": "no-cache"}


async def page(_request: Request) -> Response:
    return HTMLResponse(PAGE, headers=HEADERS)


async def asset(request: Request) -> Response:
    found = FILES.get(request.path_params["name"])
    if found is None:
        return application_error(404, "NOT_FOUND", "Not Found")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={**HEADERS, "Cache-Control": "public, max-age=86400"})


routes = [
    Route("/docs", page, methods=["GET", "HEAD"]),
    Route(ASSETS + "/{name}", asset, methods=["GET", "HEAD"]),
]
