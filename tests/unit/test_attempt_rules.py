"""Pure unit tests of the attempt limit rules (domain/attempt_limits.py) and the trusted proxy
setting: budgets per window, the doubling delay, release after a success, address keys. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from oauthapps.config import trusted_proxies
from oauthapps.domain.attempt_limits import (
    AttemptAction,
    Backoff,
    Budget,
    Counter,
    KeyScope,
    address_subject,
    expires_at,
    limit_key,
    release,
    reserve,
    retry_after_seconds,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
BUDGET = Budget(max_attempts=3, window=timedelta(minutes=15))
BACKOFF = Backoff(free_failures=3, base_delay=timedelta(seconds=10), max_delay=timedelta(minutes=2), forget_after=timedelta(hours=24))


def test_a_budget_refuses_past_its_attempts_until_the_window_ends() -> None:
    counter = None
    for n in range(1, BUDGET.max_attempts + 1):
        verdict = reserve(BUDGET, counter, T0 + timedelta(seconds=n))
        assert verdict.allowed and verdict.counter.count == n
        counter = verdict.counter
    assert counter is not None
    refused = reserve(BUDGET, counter, T0 + timedelta(minutes=5))
    assert not refused.allowed and refused.retry_after == timedelta(minutes=10, seconds=1)
    assert reserve(BUDGET, counter, T0 + timedelta(minutes=15, seconds=1)).counter == Counter(1, T0 + timedelta(minutes=15, seconds=1))


def test_a_success_gives_its_budget_place_back_in_the_same_window_only() -> None:
    counter = Counter(2, T0)
    assert release(BUDGET, counter, T0 + timedelta(seconds=5)) == Counter(1, T0)
    assert release(BUDGET, Counter(1, T0), T0) is None
    renewed = Counter(1, T0 + timedelta(minutes=20))
    assert release(BUDGET, renewed, T0 + timedelta(minutes=14)) == renewed


def test_the_delay_doubles_after_the_free_failures_up_to_the_cap() -> None:
    counter, now, waits = None, T0, []
    for _ in range(BACKOFF.free_failures + 6):
        verdict = reserve(BACKOFF, counter, now)
        assert verdict.allowed
        counter = verdict.counter
        wait = (counter.retry_at - now) if counter.retry_at else timedelta(0)
        waits.append(int(wait.total_seconds()))
        if counter.retry_at:
            early = reserve(BACKOFF, counter, counter.retry_at - timedelta(seconds=1))
            assert not early.allowed and early.retry_after == timedelta(seconds=1) and early.counter == counter
        now = counter.retry_at or now + timedelta(seconds=1)
    assert waits == [0, 0, 10, 20, 40, 80, 120, 120, 120]


def test_a_success_or_a_quiet_day_ends_an_accounts_failures() -> None:
    counter = Counter(7, T0, T0 + timedelta(minutes=2))
    assert release(BACKOFF, counter, T0) is None
    later = T0 + BACKOFF.forget_after + timedelta(seconds=1)
    assert reserve(BACKOFF, counter, later).counter == Counter(1, later)
    assert expires_at(BACKOFF, counter) == T0 + BACKOFF.forget_after


def test_retry_after_rounds_up() -> None:
    assert retry_after_seconds(timedelta(milliseconds=1)) == 1
    assert retry_after_seconds(timedelta(seconds=2, milliseconds=1)) == 3
    assert retry_after_seconds(timedelta(seconds=4)) == 4


@pytest.mark.parametrize(
    ("host", "subject"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
    ],
)
def test_addresses_are_counted_per_ipv4_address_and_ipv6_64(host: str, subject: str) -> None:
    assert address_subject(host) == subject


def test_keys_are_fixed_size_and_differ_per_project_action_and_scope() -> None:
    key = limit_key(AttemptAction.LOGIN, KeyScope.ADDRESS, "project-a", "203.0.113.7")
    assert len(key) == 64 and "203.0.113.7" not in key
    assert len(limit_key(AttemptAction.LOGIN, KeyScope.ACCOUNT, "p", "x" * 100_000)) == 64
    others = {
        limit_key(AttemptAction.LOGIN, KeyScope.ADDRESS, "project-b", "203.0.113.7"),
        limit_key(AttemptAction.REGISTER, KeyScope.ADDRESS, "project-a", "203.0.113.7"),
        limit_key(AttemptAction.LOGIN, KeyScope.ACCOUNT, "project-a", "203.0.113.7"),
    }
    assert key not in others and len(others) == 3


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert trusted_proxies(None) is None and trusted_proxies(" ") is None
    assert trusted_proxies(" 10.0.0.5 , 10.1.0.0/16,::1") == "10.0.0.5,10.1.0.0/16,::1"
    for bad in ("*", "proxy.example.com", "10.0.0.5, nope"):
        with pytest.raises(ValueError, match="not an IP address or network"):
            trusted_proxies(bad)
