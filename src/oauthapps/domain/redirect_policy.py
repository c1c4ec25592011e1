"""Where the server may send a browser. One pure rule, shared by login, logout and errors.

- A login redirect is approved when it equals an ``allowedRedirectUris`` entry exactly (for http
  loopback IP literals the port may differ, RFC 8252 section 7.3).
- Only an OAuth app that lists no redirect URIs and does not require exact matching
  (``requireExactRedirectUri``) may also have login redirects approved by domain: the parsed,
  normalised host equals an allowed domain (https; http only for loopback; the entry's port if it
  names one, else the scheme's default), and the query carries no other URL. That is the Wix
  behaviour the SDK relies on; an open redirect anywhere on the domain could still carry the code
  away along a path we cannot see, which is why exact URIs, once listed, replace it (docs/redirects.md).
- Any other redirect (logout ``postFlowUrl``) needs an allowed domain.
Anything that does not parse cleanly (see ``urls.parse_web_url``) is never approved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

from .urls import UrlError, WebUrl, is_ip_literal, parse_host_port, parse_web_url

# How many rounds of percent-decoding a query part gets before it is judged; a part that still
# changes after that many rounds is refused (nothing innocent is encoded five times over).
MAX_DECODE_ROUNDS = 5
# A value a browser would follow to another host: an http(s) URL (with or without slashes: a page
# on another scheme resolves "https:evil.example" to https://evil.example) or a scheme-relative
# "//host" (browsers read a backslash as a slash in http(s) URLs).
_CARRIED_URL_RE = re.compile(r"(?:https?:|[/\\]{2})", re.IGNORECASE)
# Browsers drop tabs and newlines anywhere in a URL, and C0 controls and spaces at its start.
_DROPPED_ANYWHERE = str.maketrans("", "", "\t\n\r")
_STRIPPED_AT_START = "".join(chr(c) for c in range(0x21))


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
    """Stored lists come from JSON, so entries are checked to be strings (others match nothing)."""
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


def _reads_as_url(part: str) -> bool:
    for _ in range(MAX_DECODE_ROUNDS):
        if _CARRIED_URL_RE.match(part.translate(_DROPPED_ANYWHERE).lstrip(_STRIPPED_AT_START)):
            return True
        decoded = unquote_plus(part)
        if decoded == part:
            return False
        part = decoded
    return True


def query_carries_url(uri: str) -> bool:
    """True when a name or value of the query reads as an absolute http(s) or ``//host`` URL,
    however often it was percent-encoded: the shape an open redirect on the domain would follow."""
    requested = _parse(uri)
    if requested is None:
        return True
    parts = re.split(r"[&;]", requested.query) if requested.query else []
    return any(_reads_as_url(piece) for part in parts for piece in part.split("=", 1))


def is_approved_login_redirect(
    uri: str, allowed_uris: Iterable[str], allowed_domains: Iterable[str], *, require_exact: bool = False
) -> bool:
    """Exact URIs when the app lists any (or requires them); otherwise its domains, minus URIs
    whose query carries another URL."""
    uris = list(allowed_uris)
    if matches_exact_uri(uri, uris):
        return True
    if require_exact or uris:
        return False
    return matches_domain(uri, allowed_domains) and not query_carries_url(uri)


def is_approved_redirect(uri: str, allowed_domains: Iterable[str]) -> bool:
    return matches_domain(uri, allowed_domains)
