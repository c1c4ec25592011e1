"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .mail.sender import OutboxSender
from .store.database import Database
from .store.visitor_writer import VisitorWriter
from .tokens.access import TokenIssuer
from .tokens.keys import SigningKeys


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keys: SigningKeys
    tokens: TokenIssuer
    visitor_writer: VisitorWriter
    outbox_sender: OutboxSender

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        db = Database.open(settings.database_url)
        await db.start_caches(settings.cache_budgets)
        keys = SigningKeys(db)
        await keys.load()
        outbox_sender = OutboxSender(db, settings.mail)
        outbox_sender.start()
        return cls(
            settings=settings,
            db=db,
            keys=keys,
            tokens=TokenIssuer(keys, settings.issuer, settings.cache_budgets.verified_tokens),
            visitor_writer=VisitorWriter(db),
            outbox_sender=outbox_sender,
        )

    async def stop(self) -> None:
        await self.outbox_sender.stop()
        await self.db.close()
