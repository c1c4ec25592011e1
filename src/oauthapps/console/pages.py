"""Rendering a console page with the headers every one of them carries: a CSP without inline
script or style, no framing, and no caching (a page may show a secret once)."""

from __future__ import annotations

from typing import Any

from starlette.responses import HTMLResponse, RedirectResponse

from ..web import templates

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "object-src 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    body = templates.get_template(f"console/{template}").render(**context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def redirect(url: str) -> RedirectResponse:
    """A 303 to one of our own paths (never a URL from the request)."""
    assert url.startswith("/") and not url.startswith("//")
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def message(title: str, text: str, status: int, **context: Any) -> HTMLResponse:
    return render("message.html", status, title=title, text=text, **context)
