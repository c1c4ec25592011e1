"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .oauth2.anonymous_budget import AnonymousBudget
from .store.database import Database
from .store.visitor_writer import VisitorWriter
from .tokens.access import TokenIssuer
from .tokens.keys import SigningKeys, ensure_key


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keys: SigningKeys
    tokens: TokenIssuer
    visitor_writer: VisitorWriter
    anonymous_budget: AnonymousBudget

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        db = Database.open(settings.database_url)
        await db.start_caches()
        await ensure_key(db)  # seals keys stored before encryption, on every start (idempotent)
        keys = SigningKeys(db)
        await keys.load()
        return cls(
            settings=settings,
            db=db,
            keys=keys,
            tokens=TokenIssuer(keys, settings.issuer),
            visitor_writer=VisitorWriter(db),
            anonymous_budget=AnonymousBudget.from_settings(settings),
        )

    async def stop(self) -> None:
        await self.db.close()
