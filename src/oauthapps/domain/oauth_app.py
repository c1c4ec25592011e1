"""The OAuth app entity: its wire shape, its validation, and which fields an update may touch.

The wire format follows Wix's OAuthApp object (docs/wire-protocol.md#the-oauth-app-object). ``allowedDomains``
is the name the sample-flows article uses; it is the same list as ``allowedRedirectDomains``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import FieldViolation, ValidationFailed, Violations
from .urls import UrlError, parse_host_port, parse_web_url

APPLICATION_TYPES = ("OAUTH_APP_TYPE_UNSPECIFIED", "WEB_APP", "MOBILE", "OTHER")
TECHNOLOGIES = (
    "OAUTH_TECHNOLOGY_UNSPECIFIED",
    "JAVASCRIPT",
    "ANGULAR",
    "VUE",
    "REACT",
    "REACT_NATIVE",
    "IOS",
    "ANDROID",
    "OTHER_TECHNOLOGY",
)
MAX_REDIRECT_ENTRIES = 20
MAX_DOMAIN_MAPPINGS = 200
NAME_MIN, NAME_MAX = 2, 256
DESCRIPTION_MAX = 2048
WIX_PAGES_URL_MAX = 1024
MAPPING_VALUE_MAX = 2048

READ_ONLY_FIELDS = frozenset({"id", "createdDate", "updatedDate", "secret", "allowSecretGeneration"})


@dataclass
class OAuthApp:
    id: str
    project_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    login_url: str = ""
    logout_url: str = ""
    allowed_redirect_uris: list[str] = field(default_factory=list)
    allowed_redirect_domains: list[str] = field(default_factory=list)
    allow_secret_generation: bool = False
    application_type: str = "OAUTH_APP_TYPE_UNSPECIFIED"
    technology: str = "OAUTH_TECHNOLOGY_UNSPECIFIED"
    redirect_url_wix_pages: str = ""
    wix_pages_domains_mappings: list[dict[str, str]] = field(default_factory=list)
    refresh_token_rotation: bool = False
    require_exact_redirect_uri: bool = False
    secret_hash: str | None = None
    previous_secret_hash: str | None = None
    previous_secret_expires_at: datetime | None = None

    def accepted_secret_hashes(self, at: datetime) -> tuple[str, ...]:
        """The secrets that authenticate this app at ``at``: the current one, and the previous
        one while its grace period lasts (a rotation without grace leaves none)."""
        hashes: tuple[str, ...] = (self.secret_hash,) if self.secret_hash else ()
        if self.previous_secret_hash and self.previous_secret_expires_at is not None and at < self.previous_secret_expires_at:
            hashes += (self.previous_secret_hash,)
        return hashes


def iso(dt: datetime) -> str:
    """ISO-8601 with milliseconds and Z, the form the SDK turns into a JS Date."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def wire_shape(
    *,
    id: str,
    created: str,
    updated: str,
    name: str,
    description: str,
    redirect_uris: Any,
    redirect_domains: Any,
    allow_secret_generation: bool,
    application_type: str,
    technology: str,
    wix_pages_domains_mappings: Any,
    refresh_token_rotation: bool,
    require_exact_redirect_uri: bool,
    login_url: str | None,
    logout_url: str | None,
    redirect_url_wix_pages: str | None,
) -> dict[str, Any]:
    """The public shape from its values: the one place that names the wire fields (to_wire, and
    the query page built straight from rows in store/oauth_app_page.py). Never contains a secret;
    lists and enums are always present."""
    out: dict[str, Any] = {
        "id": id,
        "createdDate": created,
        "updatedDate": updated,
        "name": name,
        "description": description,
        "allowedRedirectUris": redirect_uris,
        "allowedRedirectDomains": redirect_domains,
        "allowedDomains": redirect_domains,
        "allowSecretGeneration": allow_secret_generation,
        "applicationType": application_type,
        "technology": technology,
        "wixPagesDomainsMappings": wix_pages_domains_mappings,
        "refreshTokenRotation": refresh_token_rotation,
        "requireExactRedirectUri": require_exact_redirect_uri,
    }
    if login_url:
        out["loginUrl"] = login_url
    if logout_url:
        out["logoutUrl"] = logout_url
    if redirect_url_wix_pages:
        out["redirectUrlWixPages"] = redirect_url_wix_pages
    return out


def to_wire(app: OAuthApp) -> dict[str, Any]:
    return wire_shape(
        id=app.id,
        created=iso(app.created_at),
        updated=iso(app.updated_at),
        name=app.name,
        description=app.description,
        redirect_uris=list(app.allowed_redirect_uris),
        redirect_domains=list(app.allowed_redirect_domains),
        allow_secret_generation=app.allow_secret_generation,
        application_type=app.application_type,
        technology=app.technology,
        wix_pages_domains_mappings=[dict(m) for m in app.wix_pages_domains_mappings],
        refresh_token_rotation=app.refresh_token_rotation,
        require_exact_redirect_uri=app.require_exact_redirect_uri,
        login_url=app.login_url,
        logout_url=app.logout_url,
        redirect_url_wix_pages=app.redirect_url_wix_pages,
    )


# ---------------------------------------------------------------------------------------------
# Field validators: each takes the wire value and the field path, records violations, and
# returns the value to store.

Validator = Callable[[Any, str, Violations], Any]


def _string(max_len: int, min_len: int = 0, required: bool = False) -> Validator:
    def check(value: Any, path: str, v: Violations) -> Any:
        if value is None:
            value = ""
        if not isinstance(value, str):
            v.add(path, "must be a string", "TYPE")
            return None
        if "\x00" in value:
            # PostgreSQL cannot store NUL in text; refusing it keeps both engines alike.
            v.add(path, "must not contain NUL characters", "NO_NUL_CHARACTER")
        elif required and not value.strip():
            v.add(path, "is required", "REQUIRED")
        elif len(value) < min_len:
            v.add(path, f"must be at least {min_len} characters", "MIN_LENGTH", {"min": min_len})
        elif len(value) > max_len:
            v.add(path, f"must be at most {max_len} characters", "MAX_LENGTH", {"max": max_len})
        return value

    return check


def _url(max_len: int = 2048) -> Validator:
    def check(value: Any, path: str, v: Violations) -> Any:
        if value is None or value == "":
            return ""
        if not isinstance(value, str):
            v.add(path, "must be a string", "TYPE")
            return None
        if len(value) > max_len:
            v.add(path, f"must be at most {max_len} characters", "MAX_LENGTH", {"max": max_len})
            return None
        try:
            parse_web_url(value)
        except UrlError as err:
            v.add(path, err.description, err.rule)
            return None
        return value

    return check


def _list_of(item: Validator, max_items: int) -> Validator:
    def check(value: Any, path: str, v: Violations) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            v.add(path, "must be a list", "TYPE")
            return None
        if len(value) > max_items:
            v.add(path, f"must have at most {max_items} entries", "MAX_ITEMS", {"max": max_items})
            return None
        out: list[Any] = []
        for i, entry in enumerate(value):
            checked = item(entry, f"{path}[{i}]", v)
            if checked is not None and checked not in out:
                out.append(checked)
        return out

    return check


def _domain(value: Any, path: str, v: Violations) -> Any:
    try:
        return str(parse_host_port(value))
    except UrlError as err:
        v.add(path, err.description, err.rule)
        return None


def _redirect_uri(value: Any, path: str, v: Violations) -> Any:
    # An entry of the list must be a URL: an empty or null entry is an error, not "unset".
    if value is None or value == "":
        v.add(path, "must be a non-empty absolute URL", "REQUIRED")
        return None
    return _url()(value, path, v)


def _enum(allowed: tuple[str, ...]) -> Validator:
    def check(value: Any, path: str, v: Violations) -> Any:
        if value is None:
            return allowed[0]
        if value not in allowed:
            v.add(path, f"must be one of {', '.join(allowed)}", "ENUM", {"allowed": list(allowed)})
            return None
        return value

    return check


def _boolean(value: Any, path: str, v: Violations) -> Any:
    if value is None:
        return False
    if not isinstance(value, bool):
        v.add(path, "must be true or false", "TYPE")
        return None
    return value


def _mapping(value: Any, path: str, v: Violations) -> Any:
    if not isinstance(value, dict):
        v.add(path, "must be an object with origin and destination", "TYPE")
        return None
    unknown = set(value) - {"origin", "destination"}
    for key in sorted(unknown):
        v.add(f"{path}.{key}", "is not a field of a domain mapping", "UNKNOWN_FIELD")
    out: dict[str, str] = {}
    for key in ("origin", "destination"):
        item = value.get(key, "")
        if not isinstance(item, str):
            v.add(f"{path}.{key}", "must be a string", "TYPE")
        elif "\x00" in item:
            v.add(f"{path}.{key}", "must not contain NUL characters", "NO_NUL_CHARACTER")
        elif len(item) > MAPPING_VALUE_MAX:
            v.add(f"{path}.{key}", f"must be at most {MAPPING_VALUE_MAX} characters", "MAX_LENGTH")
        else:
            out[key] = item
    return out if not unknown and len(out) == 2 else None


@dataclass(frozen=True)
class WritableField:
    wire: str
    attr: str
    validate: Validator


WRITABLE_FIELDS: dict[str, WritableField] = {
    f.wire: f
    for f in (
        WritableField("name", "name", _string(NAME_MAX, NAME_MIN, required=True)),
        WritableField("description", "description", _string(DESCRIPTION_MAX)),
        WritableField("loginUrl", "login_url", _url()),
        WritableField("logoutUrl", "logout_url", _url()),
        WritableField("allowedRedirectUris", "allowed_redirect_uris", _list_of(_redirect_uri, MAX_REDIRECT_ENTRIES)),
        WritableField("allowedRedirectDomains", "allowed_redirect_domains", _list_of(_domain, MAX_REDIRECT_ENTRIES)),
        WritableField("allowedDomains", "allowed_redirect_domains", _list_of(_domain, MAX_REDIRECT_ENTRIES)),
        WritableField("applicationType", "application_type", _enum(APPLICATION_TYPES)),
        WritableField("technology", "technology", _enum(TECHNOLOGIES)),
        WritableField("redirectUrlWixPages", "redirect_url_wix_pages", _url(WIX_PAGES_URL_MAX)),
        WritableField("wixPagesDomainsMappings", "wix_pages_domains_mappings", _list_of(_mapping, MAX_DOMAIN_MAPPINGS)),
        WritableField("refreshTokenRotation", "refresh_token_rotation", _boolean),
        WritableField("requireExactRedirectUri", "require_exact_redirect_uri", _boolean),
    )
}
KNOWN_FIELDS = frozenset(WRITABLE_FIELDS) | READ_ONLY_FIELDS
DOMAIN_ALIASES = ("allowedRedirectDomains", "allowedDomains")


@dataclass(frozen=True)
class Changes:
    """Validated column values to write, and the wire names of the fields they came from."""

    values: dict[str, Any]
    fields: tuple[str, ...]


def _check_body(body: Any, prefix: str) -> dict[str, Any]:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ValidationFailed([FieldViolation(prefix, "must be an object", "TYPE")])
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise ValidationFailed([FieldViolation(f"{prefix}.{name}", "is not a field of an OAuth app", "UNKNOWN_FIELD") for name in unknown])
    return body


def _collect(body: dict[str, Any], wire_names: list[str], prefix: str, v: Violations) -> Changes:
    values: dict[str, Any] = {}
    seen_domains: dict[str, list[str]] = {}
    for wire in wire_names:
        spec = WRITABLE_FIELDS[wire]
        raw = body.get(wire)
        if raw is None and wire in DOMAIN_ALIASES:
            other = DOMAIN_ALIASES[1 - DOMAIN_ALIASES.index(wire)]
            raw = body.get(other)
        value = spec.validate(raw, f"{prefix}.{wire}", v)
        if wire in DOMAIN_ALIASES:
            seen_domains[wire] = value
        values[spec.attr] = value
    if len(seen_domains) == 2 and None not in seen_domains.values():
        a, b = seen_domains[DOMAIN_ALIASES[0]], seen_domains[DOMAIN_ALIASES[1]]
        if a != b:
            v.add(f"{prefix}.allowedDomains", "must equal allowedRedirectDomains when both are given", "CONSISTENCY")
    v.raise_if_any()
    return Changes(values=values, fields=tuple(wire_names))


def validate_create(body: Any, prefix: str = "oAuthApp") -> Changes:
    body = _check_body(body, prefix)
    v = Violations()
    if body.get("allowSecretGeneration") not in (None, True, False):
        v.add(f"{prefix}.allowSecretGeneration", "must be true or false", "TYPE")
    present = [w for w in WRITABLE_FIELDS if w in body or w == "name"]
    return _collect(body, present, prefix, v)


def validate_update(body: Any, mask: list[str] | None, prefix: str = "oAuthApp") -> Changes:
    """With a mask, exactly the masked fields change (a masked field absent from the body is
    cleared); without one, the writable fields present in the body change."""
    body = _check_body(body, prefix)
    v = Violations()
    if mask is None:
        wire_names = [w for w in WRITABLE_FIELDS if w in body]
    else:
        wire_names = []
        for path in mask:
            if path in READ_ONLY_FIELDS:
                v.add("mask", f'"{path}" is read-only and cannot be updated', "READ_ONLY", {"path": path})
            elif path not in WRITABLE_FIELDS:
                v.add("mask", f'"{path}" is not an updatable field of an OAuth app', "UNKNOWN_FIELD", {"path": path})
            else:
                wire_names.append(path)
    # Both alias names in one change must agree; one of them alone sets the shared list.
    return _collect(body, wire_names, prefix, v)
