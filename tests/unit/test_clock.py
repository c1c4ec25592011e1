"""The one wall clock (oauthapps.clock) can be stopped and moved by hand, and what the services
compute from "now" follows it: a login ticket expires when the frozen clock passes its lifetime,
with no sleeping. On a real SQLite file, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from oauthapps import clock, ids
from oauthapps.domain import credentials
from oauthapps.domain.oauth_app import OAuthApp
from oauthapps.services import hosted_login
from oauthapps.services import tenancy as tenancy_service
from oauthapps.store import members, one_time
from oauthapps.store.database import Database
from oauthapps.store.migrate import upgrade_async
from oauthapps.store.oauth_apps import insert_app

AT = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def test_frozen_clock_stands_still_until_advanced() -> None:
    with clock.frozen(AT) as frozen:
        assert clock.now() == clock.now() == AT
        assert clock.timestamp() == AT.timestamp()
        assert clock.micros() == 1_935_817_689_123_456
        assert clock.now_to_the_millisecond() == AT.replace(microsecond=123_000)
        frozen.advance(timedelta(minutes=5, microseconds=1))
        assert clock.now() == datetime(2031, 5, 6, 7, 13, 9, 123457, tzinfo=UTC)
        assert clock.micros() == 1_935_817_989_123_457
    assert clock.now() != frozen.at  # the system clock again


def test_frozen_clock_answers_utc_and_refuses_a_naive_time() -> None:
    with clock.frozen(datetime(2031, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2)))):
        assert clock.now() == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
        assert clock.now().utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="aware"), clock.frozen(datetime(2031, 5, 6)):
        pass


def test_set_clock_takes_any_source_until_reset() -> None:
    ticks = iter([AT, AT + timedelta(seconds=1)])
    clock.set_clock(lambda: next(ticks))
    try:
        assert clock.now() == AT
        assert clock.now() == AT + timedelta(seconds=1)
    finally:
        clock.set_clock(None)
    assert clock.now().tzinfo is UTC


def test_time_ordered_ids_carry_the_clocks_milliseconds() -> None:
    with clock.frozen(AT):
        made = ids.time_ordered_uuid()
    assert made.replace("-", "")[:12] == f"{1_935_817_689_123:012x}"


async def _member_on_an_app(db: Database) -> tuple[OAuthApp, str]:
    created = await tenancy_service.create_project(db, "Clock")
    at = clock.now()
    app = OAuthApp(ids.random_uuid(), created.project_id, "Site", at, at)
    async with db.transaction() as conn:
        await insert_app(conn, app)
        member = await members.insert_member(conn, created.project_id, "clock@example.com", "not-a-hash")
    assert member is not None
    return app, member.id


async def test_a_login_ticket_expires_by_the_frozen_clock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clock.db'}"
    await upgrade_async(url)
    db = Database.open(url)
    try:
        with clock.frozen(AT) as frozen:
            app, member_id = await _member_on_an_app(db)
            early = await hosted_login.issue_ticket(db, app, member_id)
            async with db.read() as conn:
                stored = await one_time.get(conn, credentials.hash_secret(early), one_time.OneTimePurpose.LOGIN_TICKET)
            assert stored is not None and stored.expires_at == AT + hosted_login.TICKET_LIFETIME

            frozen.advance(hosted_login.TICKET_LIFETIME - timedelta(microseconds=1))
            assert await hosted_login.redeem_ticket(db, app, early) == member_id  # still (just) alive

            late = await hosted_login.issue_ticket(db, app, member_id)
            frozen.advance(hosted_login.TICKET_LIFETIME)
            assert await hosted_login.redeem_ticket(db, app, late) is None  # expired, never used
            async with db.read() as conn:
                unused = await one_time.get(conn, credentials.hash_secret(late), one_time.OneTimePurpose.LOGIN_TICKET)
            assert unused is not None and unused.used_at is None
    finally:
        await db.close()
