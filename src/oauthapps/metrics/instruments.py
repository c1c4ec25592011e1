"""Every metric the server exposes, defined once, and the cheap calls that record them.

A request's latency (its route's histogram, whose ``_count`` is the request count) and a token
request's outcome are first added up in plain Python in the process (well under a microsecond),
and written to the metrics by ``flush``, which the sampler calls every few seconds, a scrape
served by this worker calls first, and the shutdown calls last (metrics/sampler.py). Written one
by one, each observation cost about 3.5 µs on the memory-mapped files of the multi-process mode.
A histogram child's bucket and sum values are the client library's own (``_buckets``, ``_sum``:
the version is pinned in pyproject.toml), since it has no public call to add many observations."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from prometheus_client import Counter, Gauge, Histogram

PREFIX = "oauthapps"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
OTHER = "other"


class TokenOutcome(StrEnum):
    """How a token request ended: issued, or why it was refused (RFC 6749 5.2 codes, plus the two
    refusals an operator watches apart: a member cut off, and a spent budget)."""

    ISSUED = "issued"
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    CUT_OFF = "cut_off"  # a blocked or not yet approved member (docs/cut-off.md)
    RATE_LIMITED = "rate_limited"  # 429: a visitor budget is spent (oauth2/anonymous_budget.py)
    OTHER = "other"


@dataclass(frozen=True)
class Instruments:
    """Made once per process, by the first server part that records (``instruments()``): not at
    import, since in the multi-process mode a metric opens its file in the directory when made,
    and the CLI and the supervisor import this module too."""

    http_duration: Histogram
    token_requests: Counter
    app_tokens: Counter
    cache_lookups: Counter
    cache_entries: Gauge
    cache_bytes: Gauge
    db_pool_in_use: Gauge
    db_pool_size: Gauge
    database_up: Gauge
    migrations_current: Gauge
    change_feed_up: Gauge
    change_feed_lag: Gauge
    mail_outbox_pending: Gauge


@cache
def instruments() -> Instruments:
    return Instruments(
        http_duration=Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time from a request's arrival to its last answer byte handed to the server, by route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
        ),
        token_requests=Counter(
            f"{PREFIX}_token_requests",
            "Token endpoint requests by grant type and outcome (issued, or the refusal's reason).",
            ["grant", "outcome"],
        ),
        app_tokens=Counter(
            f"{PREFIX}_app_tokens_issued",
            "Tokens issued per OAuth app (client id), for at most --metrics-per-app apps per process; the rest as 'other'.",
            ["client_id", "grant"],
        ),
        cache_lookups=Counter(f"{PREFIX}_cache_lookups", "Process cache lookups by cache and result (hit, miss).", ["cache", "result"]),
        cache_entries=Gauge(
            f"{PREFIX}_cache_entries", "Entries held in the process caches (all processes).", ["cache"], multiprocess_mode="livesum"
        ),
        cache_bytes=Gauge(
            f"{PREFIX}_cache_bytes", "Estimated bytes held by the process caches (all processes).", ["cache"], multiprocess_mode="livesum"
        ),
        db_pool_in_use=Gauge(
            f"{PREFIX}_db_pool_in_use", "Database connections checked out of the pools (all processes).", multiprocess_mode="livesum"
        ),
        db_pool_size=Gauge(
            f"{PREFIX}_db_pool_size", "Database connections the pools may hold (all processes).", multiprocess_mode="livesum"
        ),
        database_up=Gauge(f"{PREFIX}_database_up", "1 while every process's database answers, else 0.", multiprocess_mode="livemin"),
        migrations_current=Gauge(
            f"{PREFIX}_migrations_current",
            "1 while the database schema is at this version's newest migration.",
            multiprocess_mode="livemin",
        ),
        change_feed_up=Gauge(
            f"{PREFIX}_change_feed_up",
            "1 while every process follows the change log (PostgreSQL: its listener connection is up), else 0.",
            multiprocess_mode="livemin",
        ),
        change_feed_lag=Gauge(
            f"{PREFIX}_change_feed_lag_seconds",
            "The longest time any process has gone without reading the change log successfully.",
            multiprocess_mode="livemax",
        ),
        mail_outbox_pending=Gauge(f"{PREFIX}_mail_outbox_pending", "Mails waiting in the outbox to be sent.", multiprocess_mode="livemax"),
    )


class HttpMetrics:
    """The request middleware's recorder (http/middleware.py)."""

    def __init__(self) -> None:
        self._histogram = instruments().http_duration
        self._children: dict[tuple[str, str, int], Histogram] = {}
        # Per (method, route, status): the count in each bucket (the last one +Inf), then the sum.
        self._pending: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        row = self._pending.get(key)
        if row is None:
            row = self._pending[key] = [0.0] * (len(LATENCY_BUCKETS) + 2)
        row[bisect_left(LATENCY_BUCKETS, seconds)] += 1  # the first bucket whose bound is >= seconds
        row[-1] += seconds

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for key, row in pending.items():
            child = self._children.get(key)
            if child is None:
                method, route, status = key
                child = self._histogram.labels(method if method in KNOWN_METHODS else OTHER, route, str(status))
                self._children[key] = child
            for bucket, count in zip(child._buckets, row[:-1], strict=True):
                if count:
                    bucket.inc(count)
            child._sum.inc(row[-1])


class TokenMetrics:
    """The token endpoint's recorder (http/oauth2.py). ``per_app``: how many apps (client ids) this
    process labels one by one; later ones are counted as ``other``."""

    def __init__(self, per_app: int = 0) -> None:
        self.per_app = per_app
        self._requests = instruments().token_requests
        self._app_tokens = instruments().app_tokens
        self._pending: dict[tuple[str, TokenOutcome], int] = {}
        self._apps: set[str] = set()  # the apps labelled one by one, at most per_app
        self._pending_apps: dict[tuple[str, str], int] = {}

    def record(self, grant: str, outcome: TokenOutcome, client_id: str | None = None) -> None:
        key = (grant, outcome)
        self._pending[key] = self._pending.get(key, 0) + 1
        if self.per_app and client_id and outcome is TokenOutcome.ISSUED:
            if client_id not in self._apps and len(self._apps) < self.per_app:
                self._apps.add(client_id)
            app_key = (client_id if client_id in self._apps else OTHER, grant)
            self._pending_apps[app_key] = self._pending_apps.get(app_key, 0) + 1

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        for (grant, outcome), count in pending.items():
            self._requests.labels(grant, outcome.value).inc(count)
        apps, self._pending_apps = self._pending_apps, {}
        for (client_id, grant), count in apps.items():
            self._app_tokens.labels(client_id, grant).inc(count)
