"""Process-local caches of hot rows (OAuth apps as clients, grants, refresh tokens, members, API
keys, installations). They stay correct because every change is recorded (store/change_log.py):
the writing process evicts its own changes when they commit (``install_local_eviction``), and
store/change_feed.py applies everyone else's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from .change_log import NOTIFY_TOKEN, PENDING, ChangeKind

K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A dict that forgets its oldest entries past ``limit`` (a memory bound, not a policy)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.data: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self.data.get(key)

    def put(self, key: K, value: V) -> None:
        self.data[key] = value
        if len(self.data) > self.limit:
            for old in list(self.data)[: self.limit // 10 or 1]:
                self.data.pop(old, None)

    def pop(self, key: K) -> V | None:
        return self.data.pop(key, None)

    def clear(self) -> None:
        self.data.clear()


class Caches:
    def __init__(self, limit: int = 100_000):
        self.clients: Bounded[str, Any] = Bounded(limit)
        self.grants: Bounded[str, Any] = Bounded(limit)
        # Refresh token hash -> its row (grant id, expiry, rotation). Never evicted by a change: the
        # grant it names is looked up in ``grants`` (evicted on revocation and deletion) every
        # time, the expiry never changes, and a stale "not rotated" loses to the atomic rotation.
        self.refresh_tokens: Bounded[str, Any] = Bounded(limit)
        self.members: Bounded[str, Any] = Bounded(limit)
        self.api_keys: Bounded[str, Any] = Bounded(limit)
        self.installations: Bounded[str, Any] = Bounded(limit)
        # Bumped by every eviction, so a fill that raced with one is dropped (see store/cached.py).
        self.generation = 0

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
        for cache in (self.clients, self.grants, self.refresh_tokens, self.members, self.api_keys, self.installations):
            cache.clear()


def install_local_eviction(sync_engine: Any, caches_of: Callable[[], Caches | None]) -> None:
    """Evict this process's own changes as soon as they commit (no wait for the feed)."""
    from sqlalchemy import event

    @event.listens_for(sync_engine, "commit")
    def on_commit(conn: Any) -> None:
        conn.info.pop(NOTIFY_TOKEN, None)  # one notification per transaction, not per connection
        pending = conn.info.pop(PENDING, None)
        caches = caches_of()
        if pending and caches is not None:
            caches.evict_all(pending)

    @event.listens_for(sync_engine, "rollback")
    def on_rollback(conn: Any) -> None:
        conn.info.pop(NOTIFY_TOKEN, None)
        conn.info.pop(PENDING, None)
