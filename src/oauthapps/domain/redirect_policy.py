"""Where the server may send a browser. One pure rule, shared by login, logout and errors.

- A login redirect is approved when it equals an ``allowedRedirectUris`` entry exactly (for http
  loopback IP literals the port may differ, RFC 8252 section 7.3), or when its parsed, normalised
  host equals an allowed domain (https; http only for loopback; the entry's port if it names one,
  else the scheme's default).
- Any other redirect (logout ``postFlowUrl``) needs an allowed domain.
Anything that does not parse cleanly (see ``urls.parse_web_url``) is never approved.
"""

from __future__ import annotations

from collections.abc import Iterable

from .urls import UrlError, WebUrl, is_ip_literal, parse_host_port, parse_web_url


def _parse(uri: object) -> WebUrl | None:
    try:
        return parse_web_url(uri)
    except UrlError:
        return None


def _without_port(raw: str) -> str:
    """``raw`` (a URL that parsed cleanly: no userinfo, fragment or backslash) minus its port."""
    start = raw.index("//") + 2
    rest = raw[start:]
    end = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority = rest[:end]
    host = authority[: authority.index("]") + 1] if authority.startswith("[") else authority.split(":", 1)[0]
    return raw[:start] + host + rest[end:]


def _loopback_ip_equal_but_port(uri: str, requested: WebUrl, entry: str, registered: WebUrl) -> bool:
    """RFC 8252 section 7.3: for http to a loopback IP literal only the port may differ; scheme,
    host spelling, path and query (including an empty ``?``) must still be the same string."""
    return (
        requested.scheme == "http"
        and registered.scheme == "http"
        and is_ip_literal(registered.host)
        and registered.is_loopback
        and _without_port(uri) == _without_port(entry)
    )


def matches_exact_uri(uri: str, allowed_uris: Iterable[object]) -> bool:
    """Stored lists come from JSON, so entries are checked to be strings."""
    requested = _parse(uri)
    if requested is None:
        return False
    for entry in allowed_uris:
        if not isinstance(entry, str):
            continue
        if uri == entry:
            return True
        registered = _parse(entry)
        if registered is not None and _loopback_ip_equal_but_port(uri, requested, entry, registered):
            return True
    return False


def matches_domain(uri: str, allowed_domains: Iterable[str]) -> bool:
    requested = _parse(uri)
    if requested is None:
        return False
    for entry in allowed_domains:
        try:
            allowed = parse_host_port(entry)
        except UrlError:
            continue
        if requested.host != allowed.host:
            continue
        wanted_port = allowed.port if allowed.port is not None else requested.effective_port_default
        if requested.effective_port == wanted_port:
            return True
    return False


def is_approved_login_redirect(uri: str, allowed_uris: Iterable[str], allowed_domains: Iterable[str]) -> bool:
    return matches_exact_uri(uri, allowed_uris) or matches_domain(uri, allowed_domains)


def is_approved_redirect(uri: str, allowed_domains: Iterable[str]) -> bool:
    return matches_domain(uri, allowed_domains)
