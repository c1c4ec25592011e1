"""Table-driven tests for the redirect rule (``domain/redirect_policy.py``) and the URL/host
parsers under it (``domain/urls.py``).

The rule (issue): a login redirect URI is approved when it equals an ``allowedRedirectUris`` entry
exactly (RFC 8252 section 7.3: for http to a loopback IP literal only the port may differ). Only
an app that lists no exact URIs and does not set ``requireExactRedirectUri`` has login redirects
approved by domain too: the host equals an ``allowedDomains`` entry after normalisation
(lowercase, IDNA, no trailing dot), https (http only for localhost and loopback), the entry's port
if it names one (else the scheme default), no userinfo, no fragment, no backslash, no control or
whitespace characters, and no name or value of the query that reads as another http(s) or
``//host`` URL, however often percent-encoded (issue 11, finding 4: an open redirect on the domain
would carry the code away). Other redirects (logout ``postFlowUrl``) use the domain list only.

The only safe answers are "approved, because a browser (WHATWG URL parsing, UTS-46
non-transitional IDNA) lands on an approved place" or "refused". Decisions recorded here:

- Exact URIs are compared as strings (RFC 9700 section 2.1, OIDC Core 3.1.2.1): an added
  trailing slash, ``?``, query, ``;param``, ``:443``, upper-case scheme or host, trailing dot or
  different path case is refused even where a browser would land on the same resource.
- Loopback port flexibility applies to ``http`` + ``127.0.0.1``/``[::1]`` (any loopback IP
  literal) only, and only the port may differ: the rest must be the same string. ``localhost``
  is not port-flexible (it can resolve to a non-loopback address).
- Domain matching compares hosts after the browser's own normalisation, so upper case, one
  trailing dot, fullwidth/ideographic dots, fullwidth letters and other UTS-46 mappings that a
  browser maps to the allowed host are approved; anything that maps to another host (homographs,
  suffix/prefix hosts) or that browsers disagree on (IDNA deviation characters such as U+00DF
  and U+1E9E, percent-encoded hosts, hex/octal/short IPv4, IPv6 zone ids) is refused.
- An empty port (``https://allowed.com:/``) and characters UTS-46 ignores but which are control
  or format characters (soft hyphen, zero-width space) are refused even though a browser would
  land on the allowed host: the rule forbids control characters, and refusing is always safe.
"""

from __future__ import annotations

from typing import Any

import pytest

from oauthapps.domain.redirect_policy import (
    is_approved_login_redirect,
    is_approved_redirect,
    matches_domain,
    matches_exact_uri,
)
from oauthapps.domain.urls import MAX_URL_LENGTH, HostPort, UrlError, parse_host_port, parse_web_url

# ---------------------------------------------------------------------------------------------
# The app under test
# ---------------------------------------------------------------------------------------------

ALLOWED_URIS = [
    "https://app.example/callback",
    "https://app.example/cb?mode=x",
    "http://localhost/cb",
    "http://127.0.0.1/cb",
    "http://[::1]/cb",
    "http://127.0.0.1:3000/native",
]

ALLOWED_DOMAINS = [
    "allowed.com",
    "ports.example:8443",
    "localhost:3000",
    "xn--bcher-kva.example",
    "127.0.0.1:5000",
    "[::1]:5001",
]

CYRILLIC_A = "\u0430"  # looks like Latin "a"
LONG_PATH_URL = "https://allowed.com/" + "a" * (MAX_URL_LENGTH - len("https://allowed.com/"))
assert len(LONG_PATH_URL) == MAX_URL_LENGTH


def refused(case_id: str, uri: Any, uris: list[str] | None = None, domains: list[str] | None = None) -> Any:
    return pytest.param(
        uri,
        ALLOWED_URIS if uris is None else uris,
        ALLOWED_DOMAINS if domains is None else domains,
        False,
        id=f"refuse:{case_id}",
    )


def approved(case_id: str, uri: Any, uris: list[str] | None = None, domains: list[str] | None = None) -> Any:
    return pytest.param(
        uri,
        ALLOWED_URIS if uris is None else uris,
        ALLOWED_DOMAINS if domains is None else domains,
        True,
        id=f"approve:{case_id}",
    )


def approved_by_domain(case_id: str, uri: Any, domains: list[str] | None = None) -> Any:
    """Approved for an app that lists domains only (no exact URIs)."""
    return pytest.param(uri, [], ALLOWED_DOMAINS if domains is None else domains, True, id=f"approve-by-domain:{case_id}")


def domain_only_refused(case_id: str, uri: Any) -> Any:
    return pytest.param(uri, [], ALLOWED_DOMAINS, False, id=f"refuse-by-domain:{case_id}")


# ---------------------------------------------------------------------------------------------
# Login redirects: hostile cases (must be refused)
# ---------------------------------------------------------------------------------------------

HOSTILE_LOGIN = [
    # --- userinfo tricks ---
    refused("userinfo-allowed-at-evil", "https://allowed.com@evil.com"),
    refused("userinfo-allowed-at-evil-path", "https://allowed.com@evil.com/cb"),
    refused("userinfo-user-pass-on-allowed-host", "https://user:pass@allowed.com/"),
    refused("userinfo-empty-on-allowed-host", "https://@allowed.com/"),
    refused("userinfo-evil-at-allowed", "https://evil.com@allowed.com/"),
    refused("userinfo-pct2F-before-at", "https://allowed.com%2F@evil.com"),
    refused("userinfo-double-encoded-slash", "https://allowed.com%252F@evil.com"),
    refused("userinfo-port-looking-password", "https://allowed.com:443@evil.com"),
    refused("userinfo-empty-password", "https://allowed.com:@evil.com"),
    refused("userinfo-pct40-instead-of-at", "https://allowed.com%40evil.com"),
    refused("userinfo-fullwidth-at", "https://allowed.com\uff20evil.com/"),
    refused("userinfo-small-commercial-at", "https://allowed.com\ufe6bevil.com/"),
    refused("userinfo-on-exact-uri", "https://user@app.example/callback"),
    refused("userinfo-ipv6-port-then-at", "http://[::1]:5001@evil.com/"),
    # --- fragment / query smuggling of the host ---
    refused("fragment-at-allowed", "https://evil.com#@allowed.com"),
    refused("fragment-on-allowed-host", "https://allowed.com/#@evil.com"),
    refused("fragment-empty", "https://allowed.com/#"),
    refused("query-at-allowed", "https://evil.com?@allowed.com"),
    refused("query-next-allowed", "https://evil.com/?next=allowed.com"),
    refused("query-next-full-url", "https://evil.com/?next=https://allowed.com/"),
    refused("path-contains-allowed", "https://evil.com/allowed.com"),
    refused("path-dot-allowed", "https://evil.com/.allowed.com"),
    # --- suffix, prefix and sibling hosts ---
    refused("suffix-host", "https://allowed.com.evil.com/"),
    refused("suffix-host-trailing-dot", "https://allowed.com.evil.com./"),
    refused("prefix-host", "https://evilallowed.com/"),
    refused("prefix-host-hyphen", "https://evil-allowed.com/"),
    refused("glued-tld", "https://allowed.comevil.com/"),
    refused("subdomain-not-listed", "https://sub.allowed.com/"),
    refused("shorter-tld", "https://allowed.co/"),
    refused("leading-dot", "https://.allowed.com/"),
    refused("empty-label", "https://allowed..com/"),
    refused("two-trailing-dots", "https://allowed.com../"),
    refused("ideographic-dot-then-dot", "https://allowed.com\u3002./"),
    refused("semicolon-host", "https://evil.com;allowed.com/"),
    refused("suffix-host-ideographic-dot", "https://allowed\u3002com.evil.com/"),
    refused("suffix-host-fullwidth-dot", "https://allowed.com\uff0eevil.com/"),
    # --- backslashes (browsers read "\" as "/" in http(s) URLs) ---
    refused("backslash-before-at", "https://evil.com\\@allowed.com"),
    refused("backslash-after-allowed", "https://allowed.com\\@evil.com"),
    refused("slash-backslash", "https:/\\evil.com"),
    refused("double-backslash", "https:\\\\evil.com"),
    refused("backslash-path-on-allowed", "https://allowed.com\\evil.com"),
    refused("backslash-in-path", "https://allowed.com/a\\..\\b"),
    refused("relative-slash-backslash", "/\\evil.com"),
    refused("relative-double-backslash", "\\\\evil.com"),
    # --- percent-encoding and double encoding in the host ---
    refused("pct-encoded-dot", "https://allowed%2Ecom/"),
    refused("pct-encoded-letter", "https://%61llowed.com/"),
    refused("pct-nul-then-suffix", "https://allowed.com%00.evil.com"),
    refused("pct-dot-suffix", "https://allowed.com%2Eevil.com/"),
    refused("pct-slash-suffix", "https://allowed.com%2F.evil.com/"),
    refused("pct-hash-prefix", "https://evil.com%23.allowed.com/"),
    refused("pct-colon-port", "https://allowed.com%3A443/"),
    refused("double-pct-dot", "https://allowed.com%252e.evil.com/"),
    refused("double-pct-slash", "https://evil.com%252Fallowed.com/"),
    refused("pct-ideographic-dot", "https://allowed.com%E3%80%82evil.com/"),
    refused("fully-pct-encoded-url", "https%3A%2F%2Fallowed.com%2F"),
    # --- unicode look-alikes, IDN, UTS-46 mappings that land elsewhere ---
    refused("homograph-cyrillic-a", f"https://{CYRILLIC_A}llowed.com/"),
    refused("homograph-cyrillic-o-in-tld", "https://allowed.c\u043em/"),
    refused("homograph-punycode-form", "https://xn--llowed-2nf.com/"),
    refused("homograph-greek-omicron", "https://allowed.c\u03bfm/"),
    refused("fullwidth-solidus", "https://allowed.com\uff0fevil.com/"),
    refused("division-slash", "https://allowed.com\u2215evil.com/"),
    refused("fullwidth-colon-port", "https://allowed.com\uff1a443/"),
    refused("fullwidth-number-sign", "https://allowed.com\uff03.evil.com/"),
    refused("account-of-sign-a-slash-c", "https://\u2100.allowed.com/"),
    refused("zero-width-space-in-host", "https://allowed.com\u200b/"),
    refused("zero-width-joiner-in-host", "https://allo\u200dwed.com/"),
    refused("soft-hyphen-in-host", "https://allow\u00aded.com/"),
    refused("bidi-override-in-host", "https://\u202emoc.dewolla/"),
    refused("bidi-override-in-path", "https://allowed.com/\u202e"),
    refused("uts46-ignored-variation-selector", "https://allowed.com\ufe0f/"),
    refused("uts46-ignored-hangul-filler", "https://allowed\u3164.com/"),
    refused("uts46-ignored-grapheme-joiner", "https://allo\u034fwed.com/"),
    refused("idn-deviation-sharp-s", "https://fa\u00df.de/", domains=["xn--fa-hia.de"]),
    refused("idn-deviation-capital-sharp-s", "https://\u1e9e.de/", domains=["xn--zca.de"]),
    refused("idn-deviation-final-sigma", "https://\u03c3\u03bf\u03c2.example/", domains=["xn--4xaa8a.example"]),
    refused("idn-transitional-twin", "https://fass.de/", domains=["xn--fa-hia.de"]),
    refused("idn-invalid-a-label", "https://xn--zz.com/", domains=["allowed.com", "xn--zz.com"]),
    refused("idn-other-umlaut", "https://b\u00fccherei.example/"),
    # --- whitespace and control characters ---
    refused("tab-in-host", "https://allowed.com\t.evil.com/"),
    refused("newline-in-host", "https://allo\nwed.com/"),
    refused("crlf-in-host", "https://evil.com\r\n.allowed.com/"),
    refused("leading-space", " https://allowed.com/"),
    refused("trailing-space", "https://allowed.com/ "),
    refused("space-in-host", "https://allowed .com/"),
    refused("nul-in-path", "https://allowed.com/\x00"),
    refused("nul-in-host", "https://allowed.com\x00.evil.com/"),
    refused("del-in-path", "https://allowed.com/\x7f"),
    refused("c1-control-in-path", "https://allowed.com/\x90"),
    refused("next-line-in-path", "https://allowed.com/\x85"),
    refused("nbsp-in-path", "https://allowed.com/\xa0"),
    refused("line-separator", "https://allowed.com/\u2028"),
    refused("ideographic-space", "https://allowed.com/\u3000"),
    refused("bom-in-path", "https://allowed.com/\ufeff"),
    refused("lone-surrogate", "https://allowed.com/\ud800"),
    refused("tab-in-scheme", "java\tscript:alert(1)"),
    # --- ports ---
    refused("port-not-entry-default", "https://allowed.com:8443/"),
    refused("port-http-default-on-https", "https://allowed.com:80/"),
    refused("port-zero", "https://allowed.com:0/"),
    refused("port-65536", "https://allowed.com:65536/"),
    refused("port-99999", "https://allowed.com:99999/"),
    refused("port-too-many-digits", "https://allowed.com:000000443/"),
    refused("port-negative", "https://allowed.com:-443/"),
    refused("port-plus-sign", "https://allowed.com:+443/"),
    refused("port-trailing-letter", "https://allowed.com:443a/"),
    refused("port-hex", "https://allowed.com:0x1bb/"),
    refused("port-fullwidth-digits", "https://allowed.com:\uff14\uff14\uff13/"),
    refused("port-empty", "https://allowed.com:/"),
    refused("port-twice", "https://allowed.com:443:443/"),
    refused("port-named-entry-default-port", "https://ports.example/"),
    refused("port-named-entry-443", "https://ports.example:443/"),
    refused("port-named-entry-other", "https://ports.example:8444/"),
    refused("port-localhost-default", "http://localhost/"),
    refused("port-localhost-other", "http://localhost:3001/"),
    refused("port-loopback-domain-other", "http://127.0.0.1:5001/"),
    refused("port-ipv6-domain-other", "http://[::1]:5002/"),
    # --- schemes ---
    refused("scheme-http-not-loopback", "http://allowed.com/"),
    refused("scheme-http-port-443", "http://allowed.com:443/"),
    refused("scheme-javascript", "javascript:alert(1)"),
    refused("scheme-javascript-authority", "javascript://allowed.com/%0aalert(1)"),
    refused("scheme-javascript-mixed-case", "JavaScript://allowed.com/"),
    refused("scheme-data", "data:text/html,<script>alert(1)</script>"),
    refused("scheme-data-authority", "data://allowed.com/"),
    refused("scheme-vbscript", "vbscript:msgbox(1)"),
    refused("scheme-file", "file:///etc/passwd"),
    refused("scheme-file-host", "file://allowed.com/etc/passwd"),
    refused("scheme-blob", "blob:https://allowed.com/2f4b1a1e-0000-4000-8000-000000000000"),
    refused("scheme-ftp", "ftp://allowed.com/"),
    refused("scheme-ws", "wss://allowed.com/"),
    refused("scheme-about", "about:blank"),
    refused("scheme-custom-app", "com.example.app:/callback"),
    refused("scheme-typo", "httpss://allowed.com/"),
    refused("scheme-no-colon", "https//allowed.com/"),
    refused("scheme-empty", "://allowed.com/"),
    # --- scheme-relative, relative, missing authority ---
    refused("scheme-relative", "//allowed.com/cb"),
    refused("scheme-relative-triple", "///allowed.com/cb"),
    refused("relative-path", "/cb"),
    refused("relative-bare", "cb"),
    refused("relative-dotdot", "../evil"),
    refused("relative-query", "?next=https://evil.com"),
    refused("bare-host", "allowed.com"),
    refused("bare-host-path", "allowed.com/cb"),
    refused("https-no-slashes", "https:allowed.com"),
    refused("https-one-slash", "https:/allowed.com"),
    refused("https-three-slashes", "https:///allowed.com"),
    refused("https-four-slashes", "https:////allowed.com"),
    refused("https-no-host", "https://"),
    refused("https-empty-host-path", "https:///"),
    # --- IPv4 spellings (browsers accept hex, octal, short forms) ---
    refused("ipv4-hex-short", "http://0x7f.1:5000/"),
    refused("ipv4-hex-dword", "http://0x7f000001:5000/"),
    refused("ipv4-decimal-dword", "http://2130706433:5000/"),
    refused("ipv4-octal-dword", "http://017700000001:5000/"),
    refused("ipv4-octal-first", "http://0177.0.0.1:5000/"),
    refused("ipv4-short-two", "http://127.1:5000/"),
    refused("ipv4-short-three", "http://127.0.1:5000/"),
    refused("ipv4-leading-zero", "http://127.0.0.01:5000/"),
    refused("ipv4-hex-exact-near-miss", "http://0x7f.0.0.1/cb"),
    refused("ipv4-dword-exact-near-miss", "http://2130706433/cb"),
    refused("ipv4-other-loopback", "http://127.0.0.2:5000/"),
    refused("ipv4-any-address", "http://0.0.0.0:5000/"),
    refused("ipv4-dns-rebinding-name", "http://127.0.0.1.nip.io:5000/"),
    refused("ipv4-five-parts", "http://1.127.0.0.1:5000/"),
    refused("ipv4-localhost-for-ip-entry", "http://localhost:5000/"),
    # --- IPv6 forms ---
    refused("ipv6-zone-id", "http://[::1%25eth0]:5001/"),
    refused("ipv6-zone-id-exact", "http://[::1%25lo]/cb"),
    refused("ipv6-v4-mapped-loopback", "http://[::ffff:127.0.0.1]:5001/"),
    refused("ipv6-unspecified", "http://[::]:5001/"),
    refused("ipv6-unterminated", "http://[::1:5001/"),
    refused("ipv6-unopened", "http://::1]:5001/"),
    refused("ipv6-unbracketed", "http://::1:5001/"),
    refused("ipv6-text-after-bracket", "http://[::1]evil.com/"),
    refused("ipvfuture", "http://[v1.fe]/"),
    refused("ipv6-bracketed-name", "https://[allowed.com]/"),
    # --- exact-URI near misses (RFC 9700: exact string comparison) ---
    refused("exact-trailing-slash", "https://app.example/callback/"),
    refused("exact-empty-query", "https://app.example/callback?"),
    refused("exact-query-appended", "https://app.example/callback?x=1"),
    refused("exact-path-param", "https://app.example/callback;x"),
    refused("exact-path-case", "https://app.example/Callback"),
    refused("exact-path-upper", "https://app.example/CALLBACK"),
    refused("exact-http-instead-of-https", "http://app.example/callback"),
    refused("exact-default-port-added", "https://app.example:443/callback"),
    refused("exact-host-case", "https://APP.example/callback"),
    refused("exact-scheme-case", "HTTPS://app.example/callback"),
    refused("exact-trailing-dot-host", "https://app.example./callback"),
    refused("exact-dot-segments", "https://app.example/x/../callback"),
    refused("exact-pct-encoded-path", "https://app.example/%63allback"),
    refused("exact-double-slash-path", "https://app.example//callback"),
    refused("exact-fragment", "https://app.example/callback#"),
    refused("exact-prefix-extension", "https://app.example/callbackx"),
    refused("exact-truncated", "https://app.example/callbac"),
    refused("exact-no-path", "https://app.example"),
    refused("exact-query-extra-param", "https://app.example/cb?mode=x&mode=y"),
    refused("exact-query-case", "https://app.example/cb?mode=X"),
    refused("exact-query-dropped", "https://app.example/cb"),
    refused("exact-subdomain", "https://sub.app.example/callback"),
    refused("exact-suffix-host", "https://app.example.evil.com/callback"),
    # --- loopback (RFC 8252): only the port of an http loopback IP literal may differ ---
    refused("loopback-localhost-not-port-flexible", "http://localhost:5000/cb"),
    refused("loopback-localhost-upper", "http://LOCALHOST/cb"),
    refused("loopback-empty-query", "http://127.0.0.1:6000/cb?"),
    refused("loopback-query-appended", "http://127.0.0.1:6000/cb?x=1"),
    refused("loopback-trailing-slash", "http://127.0.0.1:6000/cb/"),
    refused("loopback-path-param", "http://127.0.0.1:6000/cb;x"),
    refused("loopback-scheme-case", "HTTP://127.0.0.1:6000/cb"),
    refused("loopback-https-not-flexible", "https://127.0.0.1:6000/cb"),
    refused("loopback-other-ip", "http://127.0.0.2:6000/cb"),
    refused("loopback-ipv6-long-form", "http://[0:0:0:0:0:0:0:1]:6000/cb"),
    refused("loopback-ipv6-empty-query", "http://[::1]:6000/cb?"),
    refused("loopback-port-zero", "http://127.0.0.1:0/cb"),
    refused("loopback-port-65536", "http://127.0.0.1:65536/cb"),
    refused("loopback-hex-ip", "http://0x7f.0.0.1:6000/cb"),
    # --- empty, wrong type, oversized ---
    refused("empty-string", ""),
    refused("whitespace-only", " "),
    refused("none", None),
    refused("int", 42),
    refused("bytes", b"https://allowed.com/"),
    refused("list", ["https://allowed.com/"]),
    refused("oversized-10kB", "https://allowed.com/" + "a" * 10_000),
    refused("one-over-max-length", LONG_PATH_URL + "a"),
    refused("host-over-253", "https://" + "a." * 127 + "allowed.com/"),
    refused("label-over-63", "https://" + "a" * 64 + ".allowed.com/"),
    # --- wildcards never match ---
    refused("wildcard-host", "https://*.allowed.com/"),
    refused("wildcard-entry-does-not-match", "https://sub.allowed.com/", domains=["*.allowed.com"]),
    # --- the homograph entry does not approve the Latin host ---
    refused("idn-entry-does-not-approve-latin", "https://allowed.com/", domains=[f"{CYRILLIC_A}llowed.com"]),
    # --- no lists: nothing is approved ---
    refused("no-uris-no-domains", "https://allowed.com/", uris=[], domains=[]),
    refused("exact-only-app-domain-url", "https://allowed.com/", domains=[]),
    refused("domain-only-app-loopback-flex", "http://127.0.0.1:6000/cb", uris=[], domains=["allowed.com"]),
    refused(
        "invalid-domain-entries-skipped",
        "https://allowed.com/",
        uris=[],
        domains=["https://allowed.com", "allowed.com/"],
    ),
]

# ---------------------------------------------------------------------------------------------
# Login redirects: approved cases
# ---------------------------------------------------------------------------------------------

APPROVED_EXACT = [
    # --- exact URIs ---
    approved("exact", "https://app.example/callback"),
    approved("exact-with-query", "https://app.example/cb?mode=x"),
    approved("exact-localhost", "http://localhost/cb"),
    approved("exact-loopback-v4", "http://127.0.0.1/cb"),
    approved("exact-loopback-v6", "http://[::1]/cb"),
    approved("exact-loopback-with-port", "http://127.0.0.1:3000/native"),
    # --- RFC 8252 loopback port flexibility (127.0.0.1 and [::1]) ---
    approved("loopback-v4-any-port", "http://127.0.0.1:6000/cb"),
    approved("loopback-v4-max-port", "http://127.0.0.1:65535/cb"),
    approved("loopback-v4-explicit-80", "http://127.0.0.1:80/cb"),
    approved("loopback-v6-any-port", "http://[::1]:6000/cb"),
    approved("loopback-registered-port-other", "http://127.0.0.1:4000/native"),
    approved("loopback-registered-port-dropped", "http://127.0.0.1/native"),
]

# Approved by domain: for an app that lists no exact URIs (the Wix behaviour the SDK relies on).
APPROVED_BY_DOMAIN = [
    # --- domains, default port ---
    approved_by_domain("domain-no-path", "https://allowed.com"),
    approved_by_domain("domain-root", "https://allowed.com/"),
    approved_by_domain("domain-any-path-query", "https://allowed.com/any/path?x=1"),
    approved_by_domain("domain-explicit-default-port", "https://allowed.com:443/"),
    approved_by_domain("domain-port-leading-zero", "https://allowed.com:0443/"),
    approved_by_domain("domain-at-in-path", "https://allowed.com/@evil.com"),
    approved_by_domain("domain-at-in-query", "https://allowed.com/?@evil.com"),
    approved_by_domain("domain-encoded-slashes-in-path", "https://allowed.com/%2F%2Fevil.com"),
    approved_by_domain("domain-non-ascii-path", "https://allowed.com/caf\u00e9"),
    approved_by_domain("domain-max-length", LONG_PATH_URL),
    # --- normalisation that lands on the same host ---
    approved_by_domain("upper-host", "https://ALLOWED.COM/x"),
    approved_by_domain("upper-host-trailing-dot", "https://ALLOWED.com./x"),
    approved_by_domain("upper-scheme", "HTTPS://allowed.com/x"),
    approved_by_domain("mixed-case-scheme-host", "Https://Allowed.Com/"),
    approved_by_domain("trailing-dot", "https://allowed.com./"),
    approved_by_domain("trailing-dot-with-port", "https://allowed.com.:443/"),
    approved_by_domain("fullwidth-dot-uts46", "https://allowed\uff0ecom/"),
    approved_by_domain("ideographic-dot-uts46", "https://allowed\u3002com/"),
    approved_by_domain("halfwidth-ideographic-dot-uts46", "https://allowed\uff61com/"),
    approved_by_domain("fullwidth-letters-uts46", "https://\uff41\uff4c\uff4c\uff4f\uff57\uff45\uff44.\uff43\uff4f\uff4d/"),
    approved_by_domain("circled-letter-uts46", "https://\u24d0llowed.com/"),
    # --- IDN ---
    approved_by_domain("idn-unicode-vs-a-label-entry", "https://b\u00fccher.example/"),
    approved_by_domain("idn-upper-unicode", "https://B\u00dcCHER.example/"),
    approved_by_domain("idn-a-label", "https://xn--bcher-kva.example/"),
    approved_by_domain("idn-a-label-upper", "https://XN--BCHER-KVA.EXAMPLE/"),
    approved_by_domain("idn-trailing-dot", "https://b\u00fccher.example./"),
    approved_by_domain("idn-unicode-entry-a-label-uri", "https://xn--bcher-kva.example/", domains=["b\u00fccher.example"]),
    approved_by_domain("idn-homograph-entry-exact", f"https://{CYRILLIC_A}llowed.com/", domains=[f"{CYRILLIC_A}llowed.com"]),
    approved_by_domain("idn-homograph-entry-a-label", "https://xn--llowed-2nf.com/", domains=[f"{CYRILLIC_A}llowed.com"]),
    approved_by_domain("idn-sharp-s-a-label-only", "https://xn--fa-hia.de/", domains=["xn--fa-hia.de"]),
    approved_by_domain("entry-upper-trailing-dot", "https://allowed.com/", domains=["ALLOWED.COM."]),
    # --- domains with a port ---
    approved_by_domain("domain-with-port", "https://ports.example:8443/"),
    approved_by_domain("domain-with-port-upper-dot", "https://PORTS.example.:8443/x"),
    approved_by_domain("domain-localhost-port", "http://localhost:3000/"),
    approved_by_domain("domain-localhost-upper", "http://LOCALHOST:3000/x"),
    approved_by_domain("domain-localhost-trailing-dot", "http://localhost.:3000/"),
    approved_by_domain("domain-localhost-https", "https://localhost:3000/"),
    approved_by_domain("domain-loopback-v4", "http://127.0.0.1:5000/"),
    approved_by_domain("domain-loopback-v4-trailing-dot", "http://127.0.0.1.:5000/"),
    approved_by_domain("domain-loopback-v4-fullwidth-digits", "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:5000/"),
    approved_by_domain("domain-loopback-v4-https", "https://127.0.0.1:5000/"),
    approved_by_domain("domain-loopback-v6", "http://[::1]:5001/"),
    approved_by_domain("domain-loopback-v6-long-form", "http://[0:0:0:0:0:0:0:1]:5001/"),
    approved_by_domain("domain-entry-443-explicit", "https://allowed.com/", domains=["allowed.com:443"]),
]


# A domain-only app: the host is approved, but the query carries another URL that an open
# redirect on the domain would follow with the code (fragment mode survives redirects).
CARRIED_URLS = [
    domain_only_refused("query-https-url", "https://allowed.com/cb?next=https://evil.com/"),
    domain_only_refused("query-http-url", "https://allowed.com/cb?next=http://evil.com/"),
    domain_only_refused("query-upper-scheme", "https://allowed.com/cb?next=HTTPS://evil.com/"),
    domain_only_refused("query-scheme-relative", "https://allowed.com/cb?next=//evil.com/"),
    domain_only_refused("query-scheme-no-slashes", "https://allowed.com/cb?next=https:evil.com"),
    domain_only_refused("query-later-parameter", "https://allowed.com/cb?a=1&b=2&to=https://evil.com"),
    domain_only_refused("query-semicolon-separator", "https://allowed.com/cb?a=1;to=https://evil.com"),
    domain_only_refused("query-url-as-name", "https://allowed.com/cb?https://evil.com"),
    domain_only_refused("query-same-host-url", "https://allowed.com/cb?next=https://allowed.com/other"),
    domain_only_refused("query-pct-encoded", "https://allowed.com/cb?next=https%3A%2F%2Fevil.com%2F"),
    domain_only_refused("query-pct-encoded-scheme-relative", "https://allowed.com/cb?next=%2F%2Fevil.com"),
    domain_only_refused("query-pct-slash-backslash", "https://allowed.com/cb?next=%2F%5Cevil.com"),
    domain_only_refused("query-pct-double-backslash", "https://allowed.com/cb?next=%5C%5Cevil.com"),
    domain_only_refused("query-double-encoded", "https://allowed.com/cb?next=https%253A%252F%252Fevil.com"),
    domain_only_refused("query-triple-encoded", "https://allowed.com/cb?next=https%25253A%25252F%25252Fevil.com"),
    domain_only_refused("query-pct-encoded-name", "https://allowed.com/cb?https%3A%2F%2Fevil.com=1"),
    domain_only_refused("query-leading-space", "https://allowed.com/cb?next=%20https://evil.com"),
    domain_only_refused("query-leading-plus-space", "https://allowed.com/cb?next=+//evil.com"),
    domain_only_refused("query-leading-control", "https://allowed.com/cb?next=%01//evil.com"),
    domain_only_refused("query-tab-in-scheme", "https://allowed.com/cb?next=ht%09tps://evil.com"),
    domain_only_refused("query-newline-in-slashes", "https://allowed.com/cb?next=/%0A/evil.com"),
    domain_only_refused("query-encoded-too-deep", "https://allowed.com/cb?next=%" + "25" * 5 + "41"),
    domain_only_refused("query-url-at-loopback-domain", "http://localhost:3000/cb?return=http://localhost:3001/"),
    approved_by_domain("query-relative-path", "https://allowed.com/cb?next=/account"),
    approved_by_domain("query-plain-values", "https://allowed.com/cb?tenant=a&x=1"),
    approved_by_domain("query-word-http", "https://allowed.com/cb?proto=http"),
    approved_by_domain("query-host-without-scheme", "https://allowed.com/cb?site=evil.com"),
    approved_by_domain("query-slashes-later", "https://allowed.com/cb?path=a//b"),
    approved_by_domain("query-scheme-later", "https://allowed.com/cb?q=see+https://evil.com"),
    approved_by_domain("query-pct-encoded-path", "https://allowed.com/cb?next=%2Faccount%2Fhome"),
    approved_by_domain("query-empty", "https://allowed.com/cb?"),
    # An exact entry is the owner's own choice: a URL in its query is approved as registered.
    approved(
        "exact-entry-carrying-a-url",
        "https://app.example/cb?next=https://app.example/home",
        uris=["https://app.example/cb?next=https://app.example/home"],
    ),
]

DOMAIN_APPROVED = APPROVED_BY_DOMAIN + [p for p in CARRIED_URLS if str(p.id).startswith("approve-by-domain:")]
LOGIN_TABLE = HOSTILE_LOGIN + APPROVED_EXACT + APPROVED_BY_DOMAIN + CARRIED_URLS


@pytest.mark.parametrize(("uri", "uris", "domains", "expected"), LOGIN_TABLE)
def test_login_redirect(uri: Any, uris: list[str], domains: list[str], expected: bool) -> None:
    assert is_approved_login_redirect(uri, uris, domains) is expected


@pytest.mark.parametrize(("uri", "uris", "domains", "expected"), HOSTILE_LOGIN)
def test_hostile_uris_are_refused_by_domain_only_apps_too(uri: Any, uris: list[str], domains: list[str], expected: bool) -> None:
    """With no exact URIs listed, domain matching applies: the hostile cases stay refused."""
    assert is_approved_login_redirect(uri, [], domains) is False


@pytest.mark.parametrize(("uri", "uris", "domains", "expected"), DOMAIN_APPROVED)
def test_listed_exact_uris_turn_domain_matching_off_for_login(uri: Any, uris: list[str], domains: list[str], expected: bool) -> None:
    """Once an app lists exact URIs, its domains serve logout and other intents only; and the
    per-app switch makes exact matching mandatory even with no URI listed."""
    assert is_approved_login_redirect(uri, [], domains) is True
    assert is_approved_login_redirect(uri, ALLOWED_URIS, domains) is False
    assert is_approved_login_redirect(uri, [], domains, require_exact=True) is False
    assert is_approved_redirect(uri, domains) is True  # still a fine logout address


@pytest.mark.parametrize(("uri", "uris", "domains", "expected"), APPROVED_EXACT)
def test_exact_uris_are_approved_when_exact_matching_is_required(uri: Any, uris: list[str], domains: list[str], expected: bool) -> None:
    assert is_approved_login_redirect(uri, uris, domains, require_exact=True) is True
    assert is_approved_login_redirect(uri, uris, [], require_exact=True) is True


def test_table_sizes() -> None:
    assert len(HOSTILE_LOGIN) >= 100
    assert len(LOGIN_TABLE) >= 150
    assert len(CARRIED_URLS) >= 30


def test_login_rule_is_within_exact_or_domain() -> None:
    """Every approval is one of the two matches; the policy only ever narrows them."""
    for param in LOGIN_TABLE:
        uri, uris, domains, expected = param.values
        if expected:
            assert matches_exact_uri(uri, uris) or matches_domain(uri, domains), param.id
        elif not (matches_exact_uri(uri, uris) or matches_domain(uri, domains)):
            assert param in HOSTILE_LOGIN or param in CARRIED_URLS, param.id


# ---------------------------------------------------------------------------------------------
# Other redirects (logout postFlowUrl): domain list only
# ---------------------------------------------------------------------------------------------

LOGOUT = [
    pytest.param("https://allowed.com/bye", ALLOWED_DOMAINS, True, id="approve:domain"),
    pytest.param("https://ALLOWED.com./bye?x=1", ALLOWED_DOMAINS, True, id="approve:domain-normalised"),
    pytest.param("https://ports.example:8443/", ALLOWED_DOMAINS, True, id="approve:domain-with-port"),
    pytest.param("http://localhost:3000/bye", ALLOWED_DOMAINS, True, id="approve:localhost-port"),
    pytest.param("https://b\u00fccher.example/", ALLOWED_DOMAINS, True, id="approve:idn"),
    pytest.param("https://app.example/callback", ALLOWED_DOMAINS, False, id="refuse:exact-uri-not-a-domain"),
    pytest.param("http://127.0.0.1/cb", ALLOWED_DOMAINS, False, id="refuse:exact-loopback-uri-not-a-domain"),
    pytest.param("http://127.0.0.1:6000/cb", ALLOWED_DOMAINS, False, id="refuse:no-loopback-flex-for-logout"),
    pytest.param("https://allowed.com@evil.com/", ALLOWED_DOMAINS, False, id="refuse:userinfo"),
    pytest.param("https://allowed.com.evil.com/", ALLOWED_DOMAINS, False, id="refuse:suffix-host"),
    pytest.param("https://ports.example/", ALLOWED_DOMAINS, False, id="refuse:wrong-port"),
    pytest.param("//allowed.com/", ALLOWED_DOMAINS, False, id="refuse:scheme-relative"),
    pytest.param("/bye", ALLOWED_DOMAINS, False, id="refuse:relative"),
    pytest.param("javascript:alert(1)", ALLOWED_DOMAINS, False, id="refuse:javascript"),
    pytest.param("https://allowed.com/#x", ALLOWED_DOMAINS, False, id="refuse:fragment"),
    pytest.param(None, ALLOWED_DOMAINS, False, id="refuse:none"),
    pytest.param("https://allowed.com/", [], False, id="refuse:no-domains"),
]


@pytest.mark.parametrize(("uri", "domains", "expected"), LOGOUT)
def test_logout_redirect_uses_domains_only(uri: Any, domains: list[str], expected: bool) -> None:
    assert is_approved_redirect(uri, domains) is expected


@pytest.mark.parametrize("uri", ALLOWED_URIS)
def test_exact_uri_only_app_approves_no_logout_url(uri: str) -> None:
    assert is_approved_login_redirect(uri, ALLOWED_URIS, [])
    assert not is_approved_redirect(uri, [])


# ---------------------------------------------------------------------------------------------
# Registration: domain entries (parse_host_port)
# ---------------------------------------------------------------------------------------------

GOOD_DOMAINS = [
    ("allowed.com", "allowed.com", None),
    ("ALLOWED.COM", "allowed.com", None),
    ("allowed.com.", "allowed.com", None),
    ("allowed.com:8443", "allowed.com", 8443),
    ("allowed.com:443", "allowed.com", 443),
    ("sub.allowed.com", "sub.allowed.com", None),
    ("a-b.example", "a-b.example", None),
    ("localhost", "localhost", None),
    ("localhost:3000", "localhost", 3000),
    ("b\u00fccher.example", "xn--bcher-kva.example", None),
    ("xn--bcher-kva.example", "xn--bcher-kva.example", None),
    ("XN--BCHER-KVA.EXAMPLE:8080", "xn--bcher-kva.example", 8080),
    ("allowed\uff0ecom", "allowed.com", None),
    (f"{CYRILLIC_A}llowed.com", "xn--llowed-2nf.com", None),
    ("127.0.0.1", "127.0.0.1", None),
    ("127.0.0.1:5000", "127.0.0.1", 5000),
    ("[::1]", "[::1]", None),
    ("[::1]:3000", "[::1]", 3000),
    ("[0:0:0:0:0:0:0:1]", "[::1]", None),
    ("example.com:65535", "example.com", 65535),
]


@pytest.mark.parametrize(
    ("value", "host", "port"),
    GOOD_DOMAINS,
    ids=[g[0].encode("unicode_escape").decode() for g in GOOD_DOMAINS],
)
def test_domain_entry_accepted(value: str, host: str, port: int | None) -> None:
    assert parse_host_port(value) == HostPort(host, port)


BAD_DOMAINS = {
    "empty": "",
    "none": None,
    "int": 42,
    "scheme": "https://allowed.com",
    "scheme-no-slashes": "javascript:alert(1)",
    "scheme-relative": "//allowed.com",
    "trailing-slash": "allowed.com/",
    "path": "allowed.com/path",
    "query": "allowed.com?x",
    "fragment": "allowed.com#x",
    "wildcard": "*.allowed.com",
    "wildcard-fullwidth": "\uff0a.allowed.com",
    "userinfo": "user@allowed.com",
    "port-zero": "allowed.com:0",
    "port-65536": "allowed.com:65536",
    "port-empty": "allowed.com:",
    "port-letters": "allowed.com:abc",
    "port-twice": "allowed.com:443:443",
    "leading-dot": ".allowed.com",
    "empty-label": "allowed..com",
    "two-trailing-dots": "allowed.com..",
    "space": "allowed .com",
    "tab": "allowed.com\t",
    "newline": "allowed.com\n",
    "backslash": "allowed.com\\",
    "percent": "allowed%2Ecom",
    "leading-hyphen": "-allowed.com",
    "trailing-hyphen": "allowed-.com",
    "underscore": "all_owed.com",
    "zero-width-space": "allowed\u200b.com",
    "sharp-s-deviation": "fa\u00df.de",
    "invalid-a-label": "xn--zz.com",
    "ipv6-unbracketed": "::1",
    "ipv6-unterminated": "[::1",
    "ipv6-zone": "[::1%25eth0]",
    "ipv4-short": "127.1",
    "ipv4-hex": "0x7f.0.0.1",
    "ipv4-dword": "2130706433",
    "ipv4-leading-zero": "127.0.0.01",
    "label-over-63": "a" * 64 + ".com",
    "host-over-253": "a." * 127 + "com",
}


@pytest.mark.parametrize("value", list(BAD_DOMAINS.values()), ids=list(BAD_DOMAINS))
def test_domain_entry_refused(value: Any) -> None:
    with pytest.raises(UrlError):
        parse_host_port(value)


# ---------------------------------------------------------------------------------------------
# Registration: URLs (parse_web_url)
# ---------------------------------------------------------------------------------------------

GOOD_URLS = [
    ("https://allowed.com", "https", "allowed.com", None, "", ""),
    ("https://allowed.com/cb", "https", "allowed.com", None, "/cb", ""),
    ("https://allowed.com/cb?x=1", "https", "allowed.com", None, "/cb", "x=1"),
    ("https://allowed.com:8443/cb", "https", "allowed.com", 8443, "/cb", ""),
    ("HTTPS://ALLOWED.COM./cb", "https", "allowed.com", None, "/cb", ""),
    ("http://localhost:3000/cb", "http", "localhost", 3000, "/cb", ""),
    ("http://app.localhost/cb", "http", "app.localhost", None, "/cb", ""),
    ("http://127.0.0.1/cb", "http", "127.0.0.1", None, "/cb", ""),
    ("http://[::1]:8080/cb", "http", "[::1]", 8080, "/cb", ""),
    ("https://b\u00fccher.example/", "https", "xn--bcher-kva.example", None, "/", ""),
    (LONG_PATH_URL, "https", "allowed.com", None, LONG_PATH_URL[len("https://allowed.com") :], ""),
]


@pytest.mark.parametrize(
    ("value", "scheme", "host", "port", "path", "query"),
    GOOD_URLS,
    ids=[g[0][:60].encode("unicode_escape").decode() for g in GOOD_URLS],
)
def test_registered_url_accepted(value: str, scheme: str, host: str, port: int | None, path: str, query: str) -> None:
    url = parse_web_url(value)
    assert (url.scheme, url.host, url.port, url.path, url.query) == (scheme, host, port, path, query)
    assert url.raw == value


BAD_URLS = {
    "empty": "",
    "none": None,
    "int": 42,
    "http-not-loopback": "http://allowed.com/",
    "http-ipv4-any": "http://0.0.0.0/",
    "fragment": "https://allowed.com/#x",
    "empty-fragment": "https://allowed.com/cb#",
    "userinfo": "https://user@allowed.com/",
    "ftp": "ftp://allowed.com/",
    "javascript": "javascript:alert(1)",
    "custom-scheme": "com.example.app:/cb",
    "relative": "/cb",
    "scheme-relative": "//allowed.com/cb",
    "no-authority": "https:allowed.com",
    "no-host": "https://",
    "port-out-of-range": "https://allowed.com:99999/",
    "port-empty": "https://allowed.com:/",
    "wildcard": "https://*.allowed.com/",
    "backslash": "https://allowed.com\\cb",
    "whitespace": "https://allowed.com/c b",
    "ipv6-zone": "http://[::1%25eth0]/",
    "unbalanced-bracket": "https://[allowed.com/",
    "nfkc-unsafe-netloc": "https://allowed.com\uff0fevil.com/",
    "percent-host": "https://allowed%2Ecom/",
    "ipv4-hex": "http://0x7f.0.0.1/",
    "too-long": LONG_PATH_URL + "a",
}


@pytest.mark.parametrize("value", list(BAD_URLS.values()), ids=list(BAD_URLS))
def test_registered_url_refused(value: Any) -> None:
    # pytest.raises(UrlError) also proves no bare ValueError (a 500) escapes.
    with pytest.raises(UrlError):
        parse_web_url(value)


def test_registered_url_without_query() -> None:
    assert parse_web_url("https://allowed.com/cb", allow_query=False).query == ""
    with pytest.raises(UrlError) as err:
        parse_web_url("https://allowed.com/cb?x=1", allow_query=False)
    assert err.value.rule == "NO_QUERY"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("https://user@allowed.com/", "NO_USERINFO"),
        ("https://allowed.com/#x", "NO_FRAGMENT"),
        ("http://allowed.com/", "SCHEME"),
        ("javascript:alert(1)", "SCHEME"),
        ("https://allowed.com\\x", "NO_BACKSLASH"),
        ("https://allowed.com/\u202e", "NO_WHITESPACE_OR_CONTROL"),
        (LONG_PATH_URL + "a", "MAX_LENGTH"),
        ("/cb", "ABSOLUTE_URL"),
    ],
    ids=["userinfo", "fragment", "http", "javascript", "backslash", "bidi", "too-long", "relative"],
)
def test_registered_url_rule_names(value: str, rule: str) -> None:
    with pytest.raises(UrlError) as err:
        parse_web_url(value)
    assert err.value.rule == rule
