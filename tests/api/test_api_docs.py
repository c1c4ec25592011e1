"""``/docs``: Swagger UI served from the server's own packaged files under a strict
Content-Security-Policy (no CDN, no inline script); and gone (404) with ``OAUTHAPPS_API_DOCS=off``,
when only ``/openapi.json`` is left. tests/e2e/test_api_docs_browser.py renders it in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from ..support.servers import fresh_database, running_server

ASSETS = {
    "/docs/assets/swagger-ui-bundle.js": "text/javascript",
    "/docs/assets/swagger-ui.css": "text/css",
    "/docs/assets/api-docs.js": "text/javascript",
    "/docs/assets/favicon.png": "image/png",
}


def policy(response: httpx.Response) -> dict[str, str]:
    header = response.headers["content-security-policy"]
    return {part.split()[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_docs_are_served_from_this_origin_under_a_strict_policy(http: httpx.Client) -> None:
    page = http.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = policy(page)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'" and csp["connect-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    assert "unsafe" not in page.headers["content-security-policy"]
    assert "://" not in page.text  # no other host: every URL on the page is a path on this one
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
    assert scripts and all('src="/docs/assets/' in attrs and body.strip() == "" for attrs, body in scripts)
    for path, media in ASSETS.items():
        asset = http.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["content-type"].startswith(media)
        assert len(asset.content) > 100
    assert "://" not in http.get("/docs/assets/api-docs.js").text
    for missing in ("/docs/assets/redoc.standalone.js", "/docs/assets/..%2F..%2Fpyproject.toml", "/docs/assets/index.html"):
        assert http.get(missing).status_code == 404, missing


def test_docs_can_be_turned_off_leaving_the_openapi_document(tmp_path: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as url,
        running_server(url, tmp_path, extra_env={"OAUTHAPPS_API_DOCS": "off"}) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        for path in ("/docs", *ASSETS):
            assert http.get(path).status_code == 404, path
        document = http.get("/openapi.json")
        assert document.status_code == 200 and document.json()["openapi"].startswith("3.")
        metadata = http.get("/.well-known/oauth-authorization-server").json()
        assert "service_documentation" not in metadata
