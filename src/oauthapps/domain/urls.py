"""Parse and normalise web URLs and host names the way a browser would, and refuse anything a
browser might read differently from us (userinfo, backslashes, control characters, odd IPv4
spellings, percent-encoded hosts). Every redirect and every registered URL goes through here."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna

MAX_URL_LENGTH = 2048
MAX_HOST_LENGTH = 253
DEFAULT_PORTS = {"https": 443, "http": 80}

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_PORT_RE = re.compile(r"^[0-9]{1,5}\Z")
_LDH_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")
# Control (Cc), format (Cf: bidi overrides, zero-width and soft hyphen), surrogate (Cs) and
# separator (Z*) characters: browsers strip, ignore or re-encode them, so we refuse them.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
# IDNA deviation characters: transitional (IDNA 2003, older browsers and libraries) and
# non-transitional processing map them to different hosts (fa\u00df.de vs fass.de).
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


class UrlError(ValueError):
    """Why a URL or host was refused; ``rule`` is a stable machine-readable name."""

    def __init__(self, rule: str, description: str):
        super().__init__(description)
        self.rule = rule
        self.description = description


@dataclass(frozen=True)
class HostPort:
    host: str  # lowercase A-label form, no trailing dot; IPv6 in brackets
    port: int | None  # as written, or None

    def __str__(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class WebUrl:
    raw: str
    scheme: str
    host: str
    port: int | None
    path: str
    query: str

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.scheme]

    @property
    def effective_port_default(self) -> int:
        return DEFAULT_PORTS[self.scheme]

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` as a browser serialises an origin (no default port), for
        ``postMessage`` target origins and CSP source lists."""
        default = self.port is None or self.port == DEFAULT_PORTS[self.scheme]
        return f"{self.scheme}://{self.host}" + ("" if default else f":{self.port}")


def _reject_unsafe_characters(value: str) -> None:
    for ch in value:
        if ord(ch) < 0x21 or ord(ch) == 0x7F or ch.isspace() or unicodedata.category(ch) in _UNSAFE_CATEGORIES:
            raise UrlError("NO_WHITESPACE_OR_CONTROL", "must not contain whitespace or control characters")
    if "\\" in value:
        raise UrlError("NO_BACKSLASH", "must not contain a backslash")


def is_loopback_host(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    literal = host[1:-1] if host.startswith("[") else host
    try:
        return ipaddress.ip_address(literal).is_loopback
    except ValueError:
        return False


def is_ip_literal(host: str) -> bool:
    literal = host[1:-1] if host.startswith("[") else host
    try:
        ipaddress.ip_address(literal)
        return True
    except ValueError:
        return False


def normalise_host(host: str) -> str:
    """Lowercase, IDNA (UTS 46, non-transitional) to A-labels, one trailing dot dropped; IP
    literals canonical. Anything a browser could read as a different host is refused."""
    if not host:
        raise UrlError("HOST_REQUIRED", "must name a host")
    if "%" in host:
        # Browsers percent-decode hosts; also refuses IPv6 zone identifiers ([fe80::1%25eth0]).
        raise UrlError("INVALID_HOST", "must not percent-encode the host")
    if host.startswith("["):
        if not host.endswith("]"):
            raise UrlError("INVALID_HOST", "has an unterminated IPv6 literal")
        try:
            ip6 = ipaddress.IPv6Address(host[1:-1])
        except ValueError as exc:
            raise UrlError("INVALID_HOST", "has an invalid IPv6 literal") from exc
        if ip6.scope_id is not None:
            raise UrlError("INVALID_HOST", "must not name an IPv6 zone")
        return f"[{ip6.compressed}]"
    if "*" in host:
        raise UrlError("NO_WILDCARD", "must not contain a wildcard")
    # Map first (case folding, NFKC, U+3002/U+FF0E -> "."), then look at the labels a browser sees.
    try:
        mapped = idna.uts46_remap(host, std3_rules=True, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise UrlError("INVALID_HOST", "is not a valid host name") from exc
    if any(not ch.isascii() and idna.uts46_remap(ch, std3_rules=True, transitional=False) == "" for ch in host):
        # UTS-46 "ignored" code points (variation selectors, Hangul fillers, ...) are invisible and
        # their status changed between Unicode versions, so browsers on older ICU differ.
        raise UrlError("INVALID_HOST", "contains an invisible character that IDNA ignores")
    if any(ch in _IDNA_DEVIATIONS for ch in mapped):
        raise UrlError("INVALID_HOST", "contains a character browsers map to different hosts (use the xn-- form)")
    mapped = mapped.removesuffix(".")
    if not mapped or any(label == "" for label in mapped.split(".")):
        raise UrlError("INVALID_HOST", "has an empty label")
    try:
        ascii_host = idna.encode(mapped, uts46=True, std3_rules=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise UrlError("INVALID_HOST", "is not a valid host name") from exc
    ascii_host = ascii_host.lower()
    if ascii_host.endswith("."):
        raise UrlError("INVALID_HOST", "has an empty label")
    if len(ascii_host) > MAX_HOST_LENGTH:
        raise UrlError("INVALID_HOST", "is longer than 253 characters")
    labels = ascii_host.split(".")
    if any(not _LDH_LABEL_RE.match(label) for label in labels):
        raise UrlError("INVALID_HOST", "is not a valid host name")
    # A host whose last label is numeric is an IPv4 address to a browser (which also accepts hex,
    # octal and short forms). Accept only the canonical dotted quad so we read it as they do.
    last = labels[-1]
    if last.isdigit() or last.startswith("0x"):
        try:
            ip4 = ipaddress.IPv4Address(ascii_host)
        except ValueError as exc:
            raise UrlError("INVALID_HOST", "is not a canonical IPv4 address") from exc
        if str(ip4) != ascii_host:
            raise UrlError("INVALID_HOST", "is not a canonical IPv4 address")
    return ascii_host


def _split_host_port(netloc: str) -> tuple[str, int | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise UrlError("INVALID_HOST", "has an unterminated IPv6 literal")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise UrlError("INVALID_HOST", "has text after the IPv6 literal")
        port_text = rest[1:] if rest else None
    elif ":" in netloc:
        host, port_text = netloc.rsplit(":", 1)
        if ":" in host:
            raise UrlError("INVALID_HOST", "has more than one colon")
    else:
        host, port_text = netloc, None
    port: int | None = None
    if port_text is not None:
        if not _PORT_RE.match(port_text) or not 1 <= int(port_text) <= 65535:
            raise UrlError("INVALID_PORT", "has an invalid port")
        port = int(port_text)
    return host, port


def parse_host_port(value: str) -> HostPort:
    """A domain entry: a host name with an optional port; no scheme, path or wildcard."""
    if not isinstance(value, str) or not value:
        raise UrlError("REQUIRED", "must be a non-empty host name")
    if len(value) > MAX_HOST_LENGTH + 6:
        raise UrlError("MAX_LENGTH", "is too long for a host name")
    _reject_unsafe_characters(value)
    if "://" in value or (_SCHEME_RE.match(value) and not _split_ok(value)):
        raise UrlError("NO_SCHEME", "must be a host name without a scheme")
    if any(ch in value for ch in "/?#"):
        raise UrlError("NO_PATH", "must be a host name without a path, query or fragment")
    if "@" in value:
        raise UrlError("NO_USERINFO", "must not contain userinfo")
    if "*" in value:
        raise UrlError("NO_WILDCARD", "must not contain a wildcard")
    host, port = _split_host_port(value)
    return HostPort(normalise_host(host), port)


def _split_ok(value: str) -> bool:
    """``example.com:8080`` also matches the scheme pattern; it is a host with a port."""
    try:
        _split_host_port(value)
        return True
    except UrlError:
        return False


def parse_web_url(value: object, *, allow_query: bool = True) -> WebUrl:
    """An absolute https URL (http only for loopback hosts); no userinfo, no fragment."""
    if not isinstance(value, str) or not value:
        raise UrlError("REQUIRED", "must be a non-empty absolute URL")
    if len(value) > MAX_URL_LENGTH:
        raise UrlError("MAX_LENGTH", f"must be at most {MAX_URL_LENGTH} characters")
    _reject_unsafe_characters(value)
    match = _SCHEME_RE.match(value)
    if not match:
        raise UrlError("ABSOLUTE_URL", "must be an absolute URL with a scheme")
    scheme = match.group(1).lower()
    if scheme not in DEFAULT_PORTS:
        raise UrlError("SCHEME", "must use https (or http for localhost and loopback addresses)")
    if not value[len(match.group(0)) :].startswith("//"):
        raise UrlError("ABSOLUTE_URL", "must be an absolute URL with a host")
    if "#" in value:
        raise UrlError("NO_FRAGMENT", "must not contain a fragment")
    try:
        parts = urlsplit(value)
    except ValueError as exc:  # unbalanced brackets, NFKC-unsafe netloc: never a crash
        raise UrlError("INVALID_HOST", "is not a valid URL authority") from exc
    netloc = parts.netloc
    if "@" in netloc:
        raise UrlError("NO_USERINFO", "must not contain userinfo")
    host, port = _split_host_port(netloc)
    host = normalise_host(host)
    if scheme == "http" and not is_loopback_host(host):
        raise UrlError("SCHEME", "may use http only for localhost and loopback addresses")
    if not allow_query and parts.query:
        raise UrlError("NO_QUERY", "must not contain a query")
    return WebUrl(raw=value, scheme=scheme, host=host, port=port, path=parts.path, query=parts.query)
