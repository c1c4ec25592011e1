"""The outbox sender each server process (every worker of every node) runs: it claims due mails,
hands them to the SMTP server, and retries with exponential backoff until the server takes them,
so no mail is lost while the mail server is down. Without an SMTP server the mails go to the
development outbox (status ``dev``). Logs name the mail's id and template, never its recipient,
body or links."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from datetime import timedelta

from .. import clock
from ..domain.mail import MailStatus, retry_delay
from ..store import outbox
from ..store.database import Database
from ..store.outbox import OutboxMail
from .settings import MailSettings
from .smtp import DeliveryFailed, build_message, deliver

log = logging.getLogger("oauthapps.mail")

POLL_SECONDS = 1.0
BATCH = 5
SEND_SECONDS = 60.0  # one mail, connection to acknowledgement, at most
# A claim outlives the batch it belongs to, so no other sender can take a mail while it is sent.
LEASE = timedelta(seconds=BATCH * SEND_SECONDS + 60)
PURGE_EVERY_SECONDS = 600.0


class OutboxSender:
    def __init__(self, db: Database, settings: MailSettings, poll_seconds: float = POLL_SECONDS) -> None:
        self.db = db
        self.settings = settings
        self.poll_seconds = poll_seconds
        self.claimer = f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._task: asyncio.Task[None] | None = None
        self._purged_at = 0.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail-outbox-sender")

    async def stop(self) -> None:
        """A mail being sent at this moment stays claimed until its lease ends, then goes again."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except Exception:
                # The database is unreachable, say: the rows wait in the outbox for the next round.
                log.warning("mail outbox: this round failed; the mails stay queued", exc_info=True)
                sent = 0
            if sent == 0:
                await asyncio.sleep(self.poll_seconds)

    async def run_once(self) -> int:
        """One round: purge now and then, claim a batch of due mails, deliver each. Returns how
        many mails it handled."""
        now = clock.now()
        if time.monotonic() - self._purged_at > PURGE_EVERY_SECONDS:
            self._purged_at = time.monotonic()
            async with self.db.transaction() as conn:
                purged = await outbox.purge(conn, now - self.settings.retention)
            if purged:
                log.info("mail outbox: purged %d finished mails older than the retention period", purged)
        async with self.db.read() as conn:
            if not await outbox.any_due(conn, now):
                return 0
        async with self.db.transaction() as conn:
            batch = await outbox.claim(conn, self.claimer, now, LEASE, BATCH)
        for mail in batch:
            await self._deliver(mail)
        return len(batch)

    async def _deliver(self, mail: OutboxMail) -> None:
        smtp = self.settings.smtp
        if smtp is None:
            async with self.db.transaction() as conn:
                await outbox.finish(conn, mail.id, self.claimer, MailStatus.DEV, clock.now())
            log.info("mail %s (%s): kept in the development outbox (`oauthapps mail list`)", mail.id, mail.template)
            return
        try:
            async with asyncio.timeout(SEND_SECONDS):
                await deliver(smtp, build_message(mail, self.settings.from_address))
        except DeliveryFailed as failure:
            await self._failed(mail, failure)
            return
        except TimeoutError:
            await self._failed(mail, DeliveryFailed(f"no answer within {SEND_SECONDS:.0f} s", rejected=False))
            return
        async with self.db.transaction() as conn:
            await outbox.finish(conn, mail.id, self.claimer, MailStatus.SENT, clock.now())
        log.info("mail %s (%s): sent (attempt %d)", mail.id, mail.template, mail.attempts)

    async def _failed(self, mail: OutboxMail, failure: DeliveryFailed) -> None:
        now = clock.now()
        rejections = mail.rejections + (1 if failure.rejected else 0)
        if failure.rejected and rejections >= self.settings.max_rejections:
            async with self.db.transaction() as conn:
                await outbox.finish(conn, mail.id, self.claimer, MailStatus.FAILED, now, failure.reason)
            log.error("mail %s (%s): failed, rejected %d times: %s", mail.id, mail.template, rejections, failure.reason)
            return
        delay = retry_delay(mail.attempts, self.settings.retry_first, self.settings.retry_longest)
        async with self.db.transaction() as conn:
            await outbox.retry_later(conn, mail.id, self.claimer, now + delay, failure.reason, failure.rejected)
        log.warning(
            "mail %s (%s): not delivered (attempt %d: %s); next try in %d s",
            mail.id,
            mail.template,
            mail.attempts,
            failure.reason,
            delay.total_seconds(),
        )
