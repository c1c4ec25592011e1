"""Token buckets keyed by name, in memory: a budget of events per minute with a burst of one
minute's worth. Pure (the caller passes the time), so one rule serves every budget and tests."""

from __future__ import annotations

MAX_KEYS = 100_000  # buckets kept; the least recently used go first (a full bucket is the same as none)


class TokenBuckets:
    """``per_minute`` events per key and minute, refilled continuously, at most ``per_minute``
    at once; ``per_minute == 0`` means no limit. Memory stays bounded by ``max_keys`` buckets."""

    def __init__(self, per_minute: int, max_keys: int = MAX_KEYS):
        self.per_minute = per_minute
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60.0
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted); oldest use first

    def _tokens(self, key: str, now: float) -> float:
        state = self._buckets.get(key)
        if state is None:
            return self._capacity
        tokens, at = state
        return min(self._capacity, tokens + max(0.0, now - at) * self._per_second)

    def wait_seconds(self, key: str, now: float) -> float:
        """0 when ``key`` may spend one now; otherwise how long until it may."""
        if self.per_minute <= 0:
            return 0.0
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._per_second

    def spend(self, key: str, now: float) -> None:
        """Take one (callers check ``wait_seconds`` first)."""
        if self.per_minute <= 0:
            return
        tokens = self._tokens(key, now)
        self._buckets.pop(key, None)  # re-inserted last: the dict's order is the order of use
        self._buckets[key] = (max(0.0, tokens - 1.0), now)
        while len(self._buckets) > self._max_keys:
            del self._buckets[next(iter(self._buckets))]
