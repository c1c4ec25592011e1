"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .store.database import Database
from .tokens.access import TokenIssuer
from .tokens.keys import SigningKeys


@dataclass
class AppState:
    settings: Settings
    db: Database
    keys: SigningKeys
    tokens: TokenIssuer

    @classmethod
    async def start(cls, settings: Settings) -> "AppState":
        db = Database.open(settings.database_url)
        keys = SigningKeys(db)
        await keys.load()
        return cls(settings=settings, db=db, keys=keys, tokens=TokenIssuer(keys, settings.issuer))

    async def stop(self) -> None:
        await self.db.close()
