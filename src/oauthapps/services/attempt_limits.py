"""The one guard for every place where a person types a secret (sign-in, sign-up, and reset and
verification codes when they come): ``reserve`` before the secret is checked, ``succeeded`` after
it matched. A failure needs no call: the reservation already counted it.

Keys are per project: failures against one project never block an address in another. The
client address is what the HTTP layer says (the TCP peer, or behind a trusted proxy the client
it forwards for; ``serve --forwarded-allow-ips``).
"""

from __future__ import annotations

from .. import clock
from ..domain.attempt_limits import AttemptAction, AttemptLimits, KeyScope, address_subject, limit_key, retry_after_seconds
from ..domain.errors import TooManyRequests
from ..store import attempt_limits as repo
from ..store.attempt_limits import Guard, Refusal, Reservation
from ..store.database import Database

# The Wix identity code the SDK understands for "too many attempts".
TOO_MANY_ATTEMPTS = "-19959"


async def reserve(
    db: Database,
    limits: AttemptLimits,
    action: AttemptAction,
    project_id: str,
    client_address: str,
    account: str | None = None,
) -> Reservation:
    """Count one attempt for the client's address (and the account, when the action names one),
    or raise TooManyRequests with how long to wait."""
    rules = limits.of(action)
    guards = [Guard(limit_key(action, KeyScope.ADDRESS, project_id, address_subject(client_address)), rules.address)]
    if account is not None and rules.account is not None:
        guards.append(Guard(limit_key(action, KeyScope.ACCOUNT, project_id, account), rules.account))
    async with db.transaction() as conn:
        outcome = await repo.reserve_all(conn, guards, clock.now())
    if isinstance(outcome, Refusal):
        seconds = retry_after_seconds(outcome.retry_after)
        raise TooManyRequests(
            f"Too many failed attempts; try again in {seconds} seconds", code=TOO_MANY_ATTEMPTS, retry_after_seconds=seconds
        )
    return outcome


async def succeeded(db: Database, reservation: Reservation) -> None:
    """The secret matched: the attempt no longer counts, and the account's failures are over."""
    async with db.transaction() as conn:
        await repo.release_all(conn, reservation)
