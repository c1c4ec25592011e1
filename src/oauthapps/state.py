"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .store.batch import GrantWriter
from .store.database import Database
from .tokens.access import TokenIssuer
from .tokens.keys import SigningKeys


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: SigningKeys
    tokens: TokenIssuer
    grant_writer: GrantWriter

    @classmethod
    async def start(cls, settings: Settings) -> AppState:
        db = Database.open(settings.database_url)
        await db.start_caches()
        keys = SigningKeys(db)
        await keys.load()
        return cls(settings=settings, db=db, keys=keys, tokens=TokenIssuer(keys, settings.issuer), grant_writer=GrantWriter(db))

    async def stop(self) -> None:
        await self.db.close()
