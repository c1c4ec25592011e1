"""Process-local caches of hot rows (OAuth apps as clients, grants, refresh tokens, members, API
keys, installations). They stay correct because every change is recorded (store/change_log.py):
the writing process evicts its own changes when they commit (``install_local_eviction``), and
store/change_feed.py applies everyone else's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any, Generic, TypeVar

from .change_log import PENDING, ChangeKind

K = TypeVar("K")
V = TypeVar("V")

MiB = 1024 * 1024
# What an entry costs beyond its key and value: its slots in the dict and in the size table.
ENTRY_OVERHEAD = 120
_OBJECT = 104  # an instance and its attribute dict, before what they hold
_SCALAR = 32  # an int, float, bool, None, datetime or enum member, near enough


def _field_size(value: Any) -> int:
    if isinstance(value, str):
        return 49 + len(value)  # an ASCII str; ids, hashes, URLs and tokens are
    if isinstance(value, (tuple, list, frozenset, set)):
        return 56 + sum(57 + len(item) if isinstance(item, str) else 40 for item in value)
    if isinstance(value, dict):
        return 64 + sum(24 + _field_size(k) + _field_size(v) for k, v in value.items())
    if isinstance(value, bytes):
        return 33 + len(value)
    return _SCALAR


def approx_size(value: Any) -> int:
    """Bytes a cached value holds, estimated from its strings and containers the way CPython lays
    them out: near enough to bound a cache's memory, and about a microsecond for the flat rows
    (dataclasses of strings, times and lists of strings) we keep, where summing ``sys.getsizeof``
    over everything would cost more than the lookup the cache saves."""
    attributes = getattr(value, "__dict__", None)
    if attributes is None or isinstance(value, type):
        return _field_size(value)
    return _OBJECT + sum(_field_size(v) for v in attributes.values())


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries past ``limit`` entries or ``max_bytes`` (estimated
    by ``approx_size``): memory bounds, not a policy. Each overflow drops a tenth of the budget at
    once, so that the cost of finding the oldest entries is shared by many puts."""

    def __init__(self, limit: int, max_bytes: int = 64 * MiB):
        self.limit = limit
        self.max_bytes = max_bytes
        self.data: dict[K, V] = {}
        self.sizes: dict[K, int] = {}
        self.bytes = 0
        # Lookups, counted with plain integers (the metrics sampler reads them: metrics/sampler.py).
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key: K) -> V | None:
        value = self.data.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, key: K, value: V) -> None:
        size = ENTRY_OVERHEAD + approx_size(key) + approx_size(value)
        self.bytes += size - self.sizes.get(key, 0)
        self.data[key] = value
        self.sizes[key] = size
        if len(self.data) > self.limit or self.bytes > self.max_bytes:
            self._shrink()

    def _shrink(self) -> None:
        keep_entries, keep_bytes = self.limit - (self.limit // 10 or 1), self.max_bytes - self.max_bytes // 10
        drop = len(self.data) - keep_entries
        freed, excess = 0, self.bytes - keep_bytes
        old_keys: list[K] = []
        for old in self.data:  # oldest first
            if len(old_keys) >= drop and freed >= excess:
                break
            old_keys.append(old)
            freed += self.sizes[old]
        for old in old_keys:
            self.pop(old)

    def pop(self, key: K) -> V | None:
        self.bytes -= self.sizes.pop(key, 0)
        return self.data.pop(key, None)

    def clear(self) -> None:
        self.data.clear()
        self.sizes.clear()
        self.bytes = 0


@dataclass(frozen=True)
class Budget:
    """One cache's bounds: entries, and estimated bytes."""

    entries: int
    bytes: int


@dataclass(frozen=True)
class CacheBudgets:
    """Each process cache's bounds (settings: OAUTHAPPS_CACHE_BYTES). Sized so that a process holds
    at most ~70 MiB of cached rows whatever the traffic; an entry is 300–900 bytes, so the entry
    counts bind first only for the small rows."""

    clients: Budget = Budget(10_000, 8 * MiB)
    grants: Budget = Budget(100_000, 16 * MiB)
    refresh_tokens: Budget = Budget(100_000, 16 * MiB)
    members: Budget = Budget(100_000, 8 * MiB)
    api_keys: Budget = Budget(10_000, 2 * MiB)
    installations: Budget = Budget(10_000, 4 * MiB)
    verified_tokens: Budget = Budget(10_000, 16 * MiB)  # tokens/access.py

    def bounded(self, name: str) -> Bounded[Any, Any]:
        budget: Budget = getattr(self, name)
        return Bounded(budget.entries, budget.bytes)


CACHE_NAMES = tuple(f.name for f in fields(CacheBudgets))


class Caches:
    def __init__(self, budgets: CacheBudgets | None = None):
        budgets = budgets or CacheBudgets()
        self.clients: Bounded[str, Any] = budgets.bounded("clients")
        self.grants: Bounded[str, Any] = budgets.bounded("grants")
        # Refresh token hash -> its row (grant id, expiry, rotation). Never evicted by a change: the
        # grant it names is looked up in ``grants`` (evicted on revocation and deletion) every
        # time, the expiry never changes, and a stale "not rotated" loses to the atomic rotation.
        self.refresh_tokens: Bounded[str, Any] = budgets.bounded("refresh_tokens")
        self.members: Bounded[str, Any] = budgets.bounded("members")
        self.api_keys: Bounded[str, Any] = budgets.bounded("api_keys")
        self.installations: Bounded[str, Any] = budgets.bounded("installations")
        # Bumped by every eviction, so a fill that raced with one is dropped (see store/cached.py).
        self.generation = 0

    def named(self) -> dict[str, Bounded[str, Any]]:
        """Each cache by its name in CacheBudgets (for the stats and the tests)."""
        return {
            "clients": self.clients,
            "grants": self.grants,
            "refresh_tokens": self.refresh_tokens,
            "members": self.members,
            "api_keys": self.api_keys,
            "installations": self.installations,
        }

    def evict(self, kind: str, key: str) -> None:
        """``kind`` as stored: one this version does not know (a newer node's) empties everything."""
        self.generation += 1
        if kind == ChangeKind.OAUTH_APP:
            self.clients.pop(key)
            # The app's grants were deleted (cascade) or belong to a changed client.
            for grant_id, grant in list(self.grants.data.items()):
                if grant.oauth_app_id == key:
                    self.grants.pop(grant_id)
        elif kind == ChangeKind.GRANT:
            self.grants.pop(key)
        elif kind == ChangeKind.PROJECT_KEYS:
            for key_hash, api_key in list(self.api_keys.data.items()):
                if api_key.project_id == key:
                    self.api_keys.pop(key_hash)
        elif kind == ChangeKind.INSTALLATION:
            self.installations.pop(key)
        elif kind == ChangeKind.MEMBER:
            self.members.pop(key)
            # The member's grants were deleted with them (cascade).
            for grant_id, grant in list(self.grants.data.items()):
                if grant.member_id == key:
                    self.grants.pop(grant_id)
        else:
            self.clear()

    def evict_all(self, changes: Iterable[tuple[str, str]]) -> None:
        for kind, key in changes:
            self.evict(kind, key)

    def clear(self) -> None:
        self.generation += 1
        for cache in self.named().values():
            cache.clear()


def install_local_eviction(sync_engine: Any, caches_of: Callable[[], Caches | None]) -> None:
    """Evict this process's own changes as soon as they commit (no wait for the feed)."""
    from sqlalchemy import event

    # A connection lost mid-transaction (a database restart) is invalidated: its ``info`` cannot
    # be read (SQLAlchemy raises PendingRollbackError, which would replace the real error in the
    # log), and needs no cleaning: the pool clears it before the connection is used again.

    @event.listens_for(sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        if conn.invalidated:
            return
        pending = conn.info.pop(PENDING, None)
        caches = caches_of()
        if pending and caches is not None:
            caches.evict_all(pending)

    @event.listens_for(sync_engine, "rollback")
    def on_rollback(conn: Any) -> None:
        if conn.invalidated:
            return
        conn.info.pop(PENDING, None)
