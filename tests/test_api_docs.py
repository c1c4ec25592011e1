"""``/docs``: Swagger UI served from the server's own packaged files under a strict
Content-Security-Policy (no CDN, no inline script), rendered in a real browser without a single
policy violation or outside request; and gone (404) with ``OAUTHAPPS_API_DOCS=off``, when only
``/openapi.json`` is left."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .servers import IN_CI, Server, fresh_database, running_server

CHROMIUM = "/usr/bin/chromium"
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


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.skip("playwright is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        if IN_CI:
            pytest.fail(f"{CHROMIUM} is missing, and CI=true (make browser installs it)")
        pytest.skip(f"{CHROMIUM} is missing (run `make browser`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            yield browser
        finally:
            browser.close()


def test_swagger_ui_renders_in_a_browser_with_no_policy_violation(server: Server, chromium: object) -> None:
    from playwright.sync_api import Browser

    assert isinstance(chromium, Browser)
    context = chromium.new_context()
    try:
        page = context.new_page()
        console: list[str] = []
        requested: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"uncaught: {error}"))
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{server.base_url}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
    finally:
        context.close()
    assert operations >= 8, operations  # every documented OAuth app operation is on the page
    problems = [line for line in console if "Content Security Policy" in line or line.startswith(("error", "uncaught"))]
    assert problems == []
    assert [url for url in requested if not url.startswith(server.base_url + "/")] == []


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
