"""Limits on guessing a secret a person types: a password at sign-in, an email at sign-up (which
tells whether it is taken), a password-reset request and an email verification code (each request
for a mail, and each guess of a code). Pure rules; the store
applies them to a counter row under a lock (store/attempt_limits.py).

An attempt is *reserved* (counted as a failure) before the secret is checked, so parallel guesses
cannot all be checked before the first failure is recorded; a success releases it. Two rules:

- ``Budget``, for a client address in one project: a hard budget of attempts per fixed window.
- ``Backoff``, for an account: a few free failures, then every further attempt waits a delay that
  doubles with each failure (up to a cap). A guesser is slowed to a crawl, while the account's
  real owner is never locked out for long: the wait after a few typos is seconds, and a success
  clears it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType


class AttemptAction(StrEnum):
    """Where a person types a secret; each has its own counters."""

    LOGIN = "login"
    REGISTER = "register"
    CONSOLE_SIGN_IN = "console_sign_in"  # an owner signing in to the console
    RESET_REQUEST = "reset_request"  # asking for a password-reset mail (account: the email asked for)
    VERIFY_SEND = "verify_send"  # asking for a verification code mail (account: the member)
    VERIFY_CODE = "verify_code"  # typing a verification code


class KeyScope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


@dataclass(frozen=True)
class Budget:
    """At most ``max_attempts`` outstanding or failed attempts per ``window``."""

    max_attempts: int
    window: timedelta


@dataclass(frozen=True)
class Backoff:
    """``free_failures`` attempts, then each one waits ``base_delay * 2**(n - free_failures)`` (at
    most ``max_delay``) after the one before; failures are forgotten after ``forget_after`` quiet."""

    free_failures: int
    base_delay: timedelta
    max_delay: timedelta
    forget_after: timedelta


Rule = Budget | Backoff


@dataclass(frozen=True)
class Counter:
    """One key's row. ``since``: the window's start (Budget) or the latest counted attempt
    (Backoff). ``retry_at``: no attempt before then (Backoff)."""

    count: int
    since: datetime
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    counter: Counter  # what to store when allowed
    retry_after: timedelta = timedelta(0)  # how long to wait when refused


def reserve(rule: Rule, counter: Counter | None, now: datetime) -> Verdict:
    """Count one attempt now, or refuse it."""
    if isinstance(rule, Budget):
        if counter is None or counter.since <= now - rule.window:
            return Verdict(True, Counter(1, now))
        if counter.count >= rule.max_attempts:
            return Verdict(False, counter, counter.since + rule.window - now)
        return Verdict(True, Counter(counter.count + 1, counter.since))
    if counter is not None and counter.retry_at is not None and now < counter.retry_at:
        return Verdict(False, counter, counter.retry_at - now)
    count = 1 if counter is None or counter.since <= now - rule.forget_after else counter.count + 1
    return Verdict(True, Counter(count, now, now + backoff_delay(rule, count) if count >= rule.free_failures else None))


def backoff_delay(rule: Backoff, failures: int) -> timedelta:
    """The wait after ``failures`` failures (``free_failures`` of them give the base delay)."""
    doublings = min(max(failures - rule.free_failures, 0), 40)  # 2**40 base delays is past any cap
    return min(rule.max_delay, rule.base_delay * (1 << doublings))


def release(rule: Rule, counter: Counter, reserved_at: datetime) -> Counter | None:
    """After a success: the attempt reserved at ``reserved_at`` no longer counts. For an account
    the failures are over too. None: nothing left to keep."""
    if isinstance(rule, Backoff):
        return None
    if counter.since > reserved_at:  # a new window began since: the attempt was never in it
        return counter
    return Counter(counter.count - 1, counter.since) if counter.count > 1 else None


def expires_at(rule: Rule, counter: Counter) -> datetime:
    """When the row means nothing any more and may be deleted."""
    if isinstance(rule, Budget):
        return counter.since + rule.window
    return max(counter.since + rule.forget_after, counter.retry_at or counter.since)


def retry_after_seconds(wait: timedelta) -> int:
    """Whole seconds for ``Retry-After``, rounded up: waiting that long is always enough."""
    return max(1, math.ceil(wait.total_seconds()))


DEFAULT_LOGIN_DELAY = timedelta(seconds=10)


@dataclass(frozen=True)
class ActionLimits:
    address: Budget
    account: Rule | None = None


@dataclass(frozen=True)
class AttemptLimits:
    """The rules of every action; a new place that checks a secret adds its action here."""

    by_action: Mapping[AttemptAction, ActionLimits]

    def of(self, action: AttemptAction) -> ActionLimits:
        return self.by_action[action]

    @classmethod
    def default(cls, login_base_delay: timedelta = DEFAULT_LOGIN_DELAY) -> AttemptLimits:
        window = timedelta(minutes=15)
        login_account = Backoff(
            free_failures=5, base_delay=login_base_delay, max_delay=timedelta(minutes=15), forget_after=timedelta(hours=24)
        )
        return cls(
            MappingProxyType(
                {
                    AttemptAction.LOGIN: ActionLimits(address=Budget(max_attempts=20, window=window), account=login_account),
                    AttemptAction.REGISTER: ActionLimits(address=Budget(max_attempts=20, window=window)),
                    AttemptAction.CONSOLE_SIGN_IN: ActionLimits(address=Budget(max_attempts=20, window=window), account=login_account),
                    # A mail per request: a few per address and per account, so nobody floods an inbox.
                    AttemptAction.RESET_REQUEST: ActionLimits(
                        address=Budget(max_attempts=10, window=window), account=Budget(max_attempts=3, window=timedelta(hours=1))
                    ),
                    AttemptAction.VERIFY_SEND: ActionLimits(
                        address=Budget(max_attempts=20, window=window), account=Budget(max_attempts=5, window=timedelta(hours=1))
                    ),
                    # Each code also locks after its own few wrong tries (domain/verification.py).
                    AttemptAction.VERIFY_CODE: ActionLimits(address=Budget(max_attempts=20, window=window)),
                }
            )
        )


def address_subject(host: str) -> str:
    """The address a budget is kept for. An IPv6 client usually holds a whole /64, so that is
    one address here; anything that is not an IP address (a Unix socket) is taken as it is."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def limit_key(action: AttemptAction, scope: KeyScope, project_id: str, subject: str) -> str:
    """A fixed-size key (a hash): an email or forwarded address may be long, and the table holds
    no personal data in the clear."""
    return hashlib.sha256(f"{action}\0{scope}\0{project_id}\0{subject}".encode()).hexdigest()
