"""The query page's own date text, without a database: the wire date of a microsecond count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oauthapps.domain.oauth_app import iso
from oauthapps.store import oauth_app_page as repo

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_micros_iso_is_the_wire_date() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for dt in (
        T0,
        T0.replace(microsecond=999_999),
        T0.replace(microsecond=0),
        epoch,
        epoch - timedelta(microseconds=500),
        datetime(2038, 1, 19, 3, 14, 8, 1000, tzinfo=UTC),
    ):
        micros = (dt - epoch) // timedelta(microseconds=1)
        assert repo._micros_iso(micros) == iso(dt)
