"""Members' rules: their status (as Wix Members v1 names it), and what a profile change and a slug
may hold. Pure, so the HTTP, CLI and SDK paths validate the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import FieldViolation, ValidationFailed, Violations
from .urls import UrlError, parse_web_url


class MemberStatus(StrEnum):
    """Whether a member may sign in (``member.status`` on the wire)."""

    PENDING = "PENDING"  # registered on a project that requires owner approval; no tokens yet
    APPROVED = "APPROVED"  # may sign in
    BLOCKED = "BLOCKED"  # refused; tokens already issued stop working


# Wix error codes (``@wix/members`` application errors) and ours.
SLUG_ALREADY_EXISTS = "SLUG_ALREADY_EXISTS"
MEMBER_NOT_FOUND = "MEMBER_NOT_FOUND"

NICKNAME_MAX = 256
NAME_MAX = 100
PICTURE_URL_MAX = 2048
SLUG_MAX = 255
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,254})$")


@dataclass(frozen=True)
class ProfileChange:
    """The fields an update sets; None leaves a field as it is, "" clears it."""

    nickname: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    picture_url: str | None = None

    def columns(self) -> dict[str, str]:
        named = {"nickname": self.nickname, "first_name": self.first_name, "last_name": self.last_name, "picture_url": self.picture_url}
        return {k: v for k, v in named.items() if v is not None}


def _text(value: Any, field: str, limit: int, v: Violations) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        v.add(field, "must be a string", "TYPE")
        return None
    text = value.strip()
    if len(text) > limit:
        v.add(field, f"must be at most {limit} characters", "MAX_LENGTH")
    elif any(ord(c) < 32 or ord(c) == 127 for c in text):
        v.add(field, "must not contain control characters", "FORMAT")
    else:
        return text
    return None


def _picture(value: Any, field: str, v: Violations) -> str | None:
    url = _text(value, field, PICTURE_URL_MAX, v)
    if not url:
        return url
    try:
        parsed = parse_web_url(url)
    except UrlError:
        parsed = None
    if parsed is None or parsed.scheme not in ("https", "http"):
        v.add(field, "must be an absolute http or https URL", "FORMAT", {"type": "URL"})
        return None
    return url


def _object(value: Any, field: str, v: Violations) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        v.add(field, "must be an object", "TYPE")
        return {}
    return value


def parse_profile_change(member: Any, path: str = "member") -> ProfileChange:
    """The profile fields of a Wix ``member`` object (``profile.nickname``, ``profile.photo.url``,
    ``contact.firstName``, ``contact.lastName``); every other field is ignored, as it is read-only
    here or not kept."""
    v = Violations()
    body = _object(member, path, v)
    profile = _object(body.get("profile"), f"{path}.profile", v)
    contact = _object(body.get("contact"), f"{path}.contact", v)
    photo = _object(profile.get("photo"), f"{path}.profile.photo", v)
    change = ProfileChange(
        nickname=_text(profile.get("nickname"), f"{path}.profile.nickname", NICKNAME_MAX, v),
        first_name=_text(contact.get("firstName"), f"{path}.contact.firstName", NAME_MAX, v),
        last_name=_text(contact.get("lastName"), f"{path}.contact.lastName", NAME_MAX, v),
        picture_url=_picture(photo.get("url"), f"{path}.profile.photo.url", v),
    )
    v.raise_if_any()
    return change


def check_slug(value: Any, field: str = "slug") -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise ValidationFailed(
            [
                FieldViolation(
                    field, f"must be 1 to {SLUG_MAX} characters of a-z, 0-9, '-' and '_', starting with a letter or digit", "FORMAT"
                )
            ]
        )
    return value
