"""``/docs`` in a real browser: Swagger UI renders every documented operation from the server's own
files, without a single Content-Security-Policy violation or a request to another host."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..support.servers import Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def test_swagger_ui_renders_in_a_browser_with_no_policy_violation(server: Server, browser: Browser) -> None:
    context = browser.new_context()
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
