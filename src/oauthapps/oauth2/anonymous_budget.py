"""How many visitors the anonymous grant mints: a budget per OAuth app and one per client address.

The client ID is public, and each visitor is a durable row (a grant and its refresh token), so
without a budget anyone could grow the database at will. The budgets are token buckets in this
worker's memory (domain/token_buckets.py): no database round trip on the busiest endpoint, at the
price that each worker counts on its own (N workers allow up to N times the budget, and a restart
refills them). The defaults are far above what a real site sends; a server that mints visitors for
all its users from one address, or a reverse proxy whose clients are not told apart, may need
the per-address budget raised (docs/security.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..config import Settings
from ..domain.attempt_limits import address_subject
from ..domain.token_buckets import TokenBuckets
from .errors import over_budget


@dataclass
class AnonymousBudget:
    per_app: TokenBuckets
    per_address: TokenBuckets

    @classmethod
    def from_settings(cls, settings: Settings) -> AnonymousBudget:
        return cls(TokenBuckets(settings.anonymous_per_app_per_minute), TokenBuckets(settings.anonymous_per_address_per_minute))

    def spend(self, app_id: str, client_host: str, now: float | None = None) -> None:
        """Count one visitor for the app and the address, or raise a 429 with ``Retry-After`` when
        either budget is spent (a refused request spends nothing)."""
        now = time.monotonic() if now is None else now
        address = address_subject(client_host)
        wait_app = self.per_app.wait_seconds(app_id, now)
        wait_address = self.per_address.wait_seconds(address, now)
        if wait_app > 0 or wait_address > 0:
            which = "this client" if wait_app >= wait_address else "this address"
            retry_after = max(1, math.ceil(max(wait_app, wait_address)))
            raise over_budget(f"Too many new visitors from {which}; retry after {retry_after} s", retry_after)
        self.per_app.spend(app_id, now)
        self.per_address.spend(address, now)
