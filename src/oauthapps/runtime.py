"""What one server process holds: settings, the database, and the token machinery."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .mail.sender import OutboxSender
from .metrics.instruments import HttpMetrics, TokenMetrics
from .metrics.sampler import Sampler
from .oauth2.anonymous_budget import AnonymousBudget
from .store.cache_report import CacheReporter
from .store.database import Database
from .store.readiness import KnownMigrations, ReadinessProbe
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
    outbox_sender: OutboxSender
    cache_reporter: CacheReporter
    readiness: ReadinessProbe
    # None with metrics off (settings.metrics).
    token_metrics: TokenMetrics | None = None
    metrics_sampler: Sampler | None = None

    @classmethod
    async def start(cls, settings: Settings, http_metrics: HttpMetrics | None = None) -> Runtime:
        """``http_metrics``: the request middleware's recorder, flushed with the others (metrics/sampler.py)."""
        db = Database.open(settings.database_url)
        await db.start_caches(settings.cache_budgets)
        await ensure_key(db)  # seals keys stored before encryption, on every start (idempotent)
        keys = SigningKeys(db)
        await keys.load()
        outbox_sender = OutboxSender(db, settings.mail)
        outbox_sender.start()
        tokens = TokenIssuer(keys, settings.issuer, settings.cache_budgets.verified_tokens)
        named = {**(db.caches.named() if db.caches is not None else {}), "verified_tokens": tokens.verified}
        cache_reporter = CacheReporter(named, settings.cache_report_seconds)
        cache_reporter.start()
        readiness = ReadinessProbe(db, KnownMigrations.of(settings.database_url))
        token_metrics = TokenMetrics(settings.metrics_per_app) if settings.metrics else None
        recorders = tuple(r for r in (http_metrics, token_metrics) if r is not None)
        sampler = Sampler(db, named, readiness, settings.metrics_sample_seconds, recorders) if settings.metrics else None
        if sampler is not None:
            sampler.start()
        return cls(
            settings=settings,
            db=db,
            keys=keys,
            tokens=tokens,
            visitor_writer=VisitorWriter(db),
            outbox_sender=outbox_sender,
            cache_reporter=cache_reporter,
            anonymous_budget=AnonymousBudget.from_settings(settings),
            readiness=readiness,
            token_metrics=token_metrics,
            metrics_sampler=sampler,
        )

    async def stop(self) -> None:
        # The last visitor batch first: its requests are answered only once it is committed.
        await self.visitor_writer.drain()
        await self.cache_reporter.stop()
        if self.metrics_sampler is not None:
            await self.metrics_sampler.stop()
        await self.outbox_sender.stop()
        await self.db.close()
