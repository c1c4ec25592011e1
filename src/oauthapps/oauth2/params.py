"""Token request parameters: JSON or form bodies, camelCase (the SDK's OAuthStrategy) or
snake_case (AppStrategy, RFC clients), and HTTP Basic client authentication (RFC 6749 2.3.1)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import orjson

from .errors import OAuth2Error, invalid_client, invalid_request

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
MAX_PARAM_LENGTH = 8192


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def parse_body(content_type: str, body: bytes) -> dict[str, str]:
    """Normalised parameters; a parameter sent twice is refused (RFC 6749 section 3.2)."""
    media = content_type.split(";", 1)[0].strip().lower()
    pairs: list[tuple[str, Any]]
    if media == "application/json":
        try:
            data = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError as exc:
            raise invalid_request("The request body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise invalid_request("The request body must be a JSON object")
        pairs = list(data.items())
    elif media in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise invalid_request("The request body is not valid UTF-8") from exc
    else:
        raise invalid_request("Send the token request as application/json or application/x-www-form-urlencoded")
    params: dict[str, str] = {}
    for raw_name, value in pairs:
        name = snake(raw_name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise invalid_request(f"Parameter {raw_name!r} must be a string")
        text = str(value)
        if len(text) > MAX_PARAM_LENGTH:
            raise invalid_request(f"Parameter {raw_name!r} is too long")
        if "\x00" in text:
            raise invalid_request(f"Parameter {raw_name!r} contains a NUL character")
        if name in params:
            raise invalid_request(f"Parameter {raw_name!r} was sent more than once")
        if text != "":
            params[name] = text
    return params


def apply_basic_auth(params: dict[str, str], authorization: str | None) -> bool:
    """Merge client_secret_basic credentials into params; True when Basic auth was used."""
    if not authorization or authorization[:6].lower() != "basic ":
        return False
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        raw_id, raw_secret = decoded.split(":", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid_client("Malformed HTTP Basic credentials") from exc
    client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if ("client_id" in params and params["client_id"] != client_id) or "client_secret" in params:
        raise invalid_request("Use one client authentication method, not two")
    params["client_id"] = client_id
    params["client_secret"] = secret
    return True


def require(params: dict[str, str], name: str, wire_name: str | None = None) -> str:
    value = params.get(name)
    if not value:
        raise invalid_request(f"Missing parameter {wire_name or name!r}")
    return value


__all__ = ["OAuth2Error", "apply_basic_auth", "parse_body", "require", "snake"]
