"""The token buckets behind the anonymous grant's budget (domain/token_buckets.py), as the pure
rules they are. The address grouping (an IPv6 /64 is one address) is the attempt limiter's own,
checked in test_attempt_rules.py."""

from __future__ import annotations

import pytest

from oauthapps.domain.token_buckets import TokenBuckets


def test_a_bucket_holds_a_minute_and_refills_continuously() -> None:
    buckets = TokenBuckets(per_minute=6)  # one every 10 s
    for _ in range(6):
        assert buckets.wait_seconds("k", 100.0) == 0.0
        buckets.spend("k", 100.0)
    assert buckets.wait_seconds("k", 100.0) == pytest.approx(10.0)
    assert buckets.wait_seconds("k", 104.0) == pytest.approx(6.0)
    assert buckets.wait_seconds("other", 100.0) == 0.0
    assert buckets.wait_seconds("k", 110.0) == 0.0
    buckets.spend("k", 110.0)
    assert buckets.wait_seconds("k", 110.0) == pytest.approx(10.0)
    assert buckets.wait_seconds("k", 10_000.0) == 0.0  # never more than a minute's worth
    for _ in range(6):
        buckets.spend("k", 10_000.0)
    assert buckets.wait_seconds("k", 10_000.0) > 0


def test_no_limit_and_a_bounded_number_of_buckets() -> None:
    unlimited = TokenBuckets(per_minute=0)
    for _ in range(1000):
        unlimited.spend("k", 1.0)
    assert unlimited.wait_seconds("k", 1.0) == 0.0
    small = TokenBuckets(per_minute=1, max_keys=3)
    for key in "abcd":
        small.spend(key, 1.0)
    assert small.wait_seconds("a", 1.0) == 0.0  # the least recently used bucket was dropped
    assert [small.wait_seconds(key, 1.0) > 0 for key in "bcd"] == [True, True, True]
