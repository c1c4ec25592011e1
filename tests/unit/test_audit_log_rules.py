"""The audit log's pure rules: filters and their bounds, and cursors that carry the filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oauthapps.domain.audit_log import AuditAction, AuditFilter, Position, decode_cursor, encode_cursor, parse_read
from oauthapps.domain.errors import ValidationFailed

TYPES = frozenset({"api_key", "app", "console", "cli"})


def test_a_cursor_gives_back_its_filter_and_position() -> None:
    filter_ = AuditFilter(
        oauth_app_id="a1",
        actor_type="console",
        actor_id="o1",
        action=AuditAction.OAUTH_APP_UPDATED,
        since=datetime(2026, 1, 1, tzinfo=UTC),
        until=datetime(2026, 2, 1, 12, 30, 0, 123000, tzinfo=UTC),
    )
    last = Position(datetime(2026, 1, 15, 8, 0, 0, 5000, tzinfo=UTC), 42)
    assert decode_cursor(encode_cursor(filter_, last), TYPES) == (filter_, last)
    read = parse_read({"cursor": encode_cursor(filter_, last), "limit": "7"}, TYPES)
    assert (read.filter, read.after, read.limit) == (filter_, last, 7)


def test_times_without_a_zone_are_utc_and_empty_values_are_no_filter() -> None:
    read = parse_read({"from": "2026-03-01T10:00", "to": "2026-03-01T12:00:00+01:00", "oAuthAppId": "", "limit": None}, TYPES)
    assert read.filter == AuditFilter(since=datetime(2026, 3, 1, 10, tzinfo=UTC), until=datetime(2026, 3, 1, 11, tzinfo=UTC))
    assert read.limit == 50 and read.after is None


@pytest.mark.parametrize(
    ("raw", "field", "rule"),
    [
        ({"from": "2026-03-01T10:00", "to": "2026-03-01T11:00:00+01:00"}, "to", "OUT_OF_RANGE"),  # the same instant
        ({"actorId": "x"}, "actorId", "REQUIRED"),
        ({"actorType": "other_token"}, "actorType", "ENUM"),
        ({"limit": "100", "action": "oauth_app.read"}, "action", "ENUM"),
        ({"limit": "１"}, "limit", "OUT_OF_RANGE"),  # a full-width digit is not a number here
        ({"oAuthAppId": "a\x7fb"}, "oAuthAppId", "FORMAT"),
        (
            {"cursor": encode_cursor(AuditFilter(), Position(datetime(2026, 1, 1, tzinfo=UTC), 1)), "action": "oauth_app.created"},
            "action",
            "CONFLICT",
        ),
    ],
)
def test_refusals_name_the_field(raw: dict[str, str], field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_read(raw, TYPES)
    [violation] = refused.value.violations
    assert (violation.field, violation.violated_rule) == (field, rule)
