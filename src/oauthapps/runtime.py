"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .mail.sender import OutboxSender
from .store.cache_report import CacheReporter
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
    cache_reporter: CacheReporter

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        db = Database.open(settings.database_url)
        await db.start_caches(settings.cache_budgets)
        keys = SigningKeys(db)
        await keys.load()
        outbox_sender = OutboxSender(db, settings.mail)
        outbox_sender.start()
        tokens = TokenIssuer(keys, settings.issuer, settings.cache_budgets.verified_tokens)
        named = {**(db.caches.named() if db.caches is not None else {}), "verified_tokens": tokens.verified}
        cache_reporter = CacheReporter(named, settings.cache_report_seconds)
        cache_reporter.start()
        return cls(
            settings=settings,
            db=db,
            keys=keys,
            tokens=tokens,
            visitor_writer=VisitorWriter(db),
            outbox_sender=outbox_sender,
            cache_reporter=cache_reporter,
        )

    async def stop(self) -> None:
        await self.cache_reporter.stop()
        await self.outbox_sender.stop()
        await self.db.close()
