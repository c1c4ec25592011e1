"""ES256 signing keys: created on first start, stored, rotatable. Retired public keys stay in the
JWKS until every token they signed has expired."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .. import clock, ids
from ..store.database import Database
from ..store.schema import signing_keys

ALGORITHM = "ES256"
RELOAD_INTERVAL_SECONDS = 30.0


@dataclass(frozen=True)
class StoredKey:
    kid: str
    key: ECKey
    created_at: datetime
    retired_at: datetime | None


def _new_key_row() -> dict[str, Any]:
    kid = ids.signing_key_id()
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True)
    return {"kid": kid, "alg": ALGORITHM, "private_jwk": json.dumps(key.as_dict(private=True)), "created_at": clock.now()}


async def _load_rows(conn: AsyncConnection) -> list[StoredKey]:
    rows = await conn.execute(select(signing_keys).order_by(signing_keys.c.created_at))
    return [StoredKey(r.kid, ECKey.import_key(json.loads(r.private_jwk)), r.created_at, r.retired_at) for r in rows]


async def ensure_key(db: Database) -> None:
    """Create the first signing key if there is none (idempotent; run before workers start)."""
    async with db.transaction() as conn:
        if not (await conn.execute(select(signing_keys.c.kid).limit(1))).first():
            await conn.execute(insert(signing_keys).values(**_new_key_row()))


async def rotate(db: Database, token_lifetime_seconds: int) -> str:
    """Add a new active key; older active keys retire but keep verifying until their tokens expire."""
    row = _new_key_row()
    async with db.transaction() as conn:
        await conn.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=row["created_at"]))
        await conn.execute(insert(signing_keys).values(**row))
        cutoff = row["created_at"] - timedelta(seconds=token_lifetime_seconds + 60)
        # Keys retired longer ago than one token lifetime can sign nothing still valid.
        await conn.execute(signing_keys.delete().where(signing_keys.c.retired_at < cutoff))
    return str(row["kid"])


class SigningKeys:
    """The keys one process signs and verifies with, refreshed from the database now and then so
    that a rotation done elsewhere (the CLI, another worker) is picked up."""

    def __init__(self, db: Database):
        self._db = db
        self._keys: list[StoredKey] = []
        self._keyset = KeySet([])
        self._kids: frozenset[str] = frozenset()
        self._loaded_at = 0.0

    async def load(self) -> None:
        async with self._db.read() as conn:
            keys = await _load_rows(conn)
        if not keys:
            await ensure_key(self._db)
            async with self._db.read() as conn:
                keys = await _load_rows(conn)
        self._keys = keys
        self._keyset = KeySet([k.key for k in keys])
        self._kids = frozenset(k.kid for k in keys)
        self._loaded_at = time.monotonic()

    async def refresh_if_stale(self, force: bool = False) -> None:
        interval = 1.0 if force else RELOAD_INTERVAL_SECONDS
        if time.monotonic() - self._loaded_at > interval:
            await self.load()

    @property
    def active(self) -> StoredKey:
        live = [k for k in self._keys if k.retired_at is None]
        return (live or self._keys)[-1]

    @property
    def keyset(self) -> KeySet:
        return self._keyset

    @property
    def kids(self) -> frozenset[str]:
        return self._kids

    def knows(self, kid: str | None) -> bool:
        return any(k.kid == kid for k in self._keys)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.key.as_dict(private=False) for k in self._keys]}
