"""Every metric the server exposes, defined once, and the cheap calls that record them.

The request path records two things per request (its route's latency histogram, whose ``_count``
is the request count) and, for a token request, one counter: each a few microseconds on the
memory-mapped files of the multi-process mode. Label children are looked up once and kept, since
``labels()`` costs more than the increment itself."""

from __future__ import annotations

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

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        child = self._children.get(key)
        if child is None:
            child = self._histogram.labels(method if method in KNOWN_METHODS else OTHER, route, str(status))
            self._children[key] = child
        child.observe(seconds)


class TokenMetrics:
    """The token endpoint's recorder (http/oauth2.py). ``per_app``: how many apps (client ids) this
    process labels one by one; later ones are counted as ``other``."""

    def __init__(self, per_app: int = 0) -> None:
        self.per_app = per_app
        self._requests = instruments().token_requests
        self._app_tokens = instruments().app_tokens
        self._children: dict[tuple[str, TokenOutcome], Counter] = {}
        self._app_children: dict[tuple[str, str], Counter] = {}

    def record(self, grant: str, outcome: TokenOutcome, client_id: str | None = None) -> None:
        key = (grant, outcome)
        child = self._children.get(key)
        if child is None:
            child = self._requests.labels(grant, outcome.value)
            self._children[key] = child
        child.inc()
        if self.per_app and client_id and outcome is TokenOutcome.ISSUED:
            self._count_app(client_id, grant)

    def _count_app(self, client_id: str, grant: str) -> None:
        key = (client_id, grant)
        child = self._app_children.get(key)
        if child is None:
            known = {app for app, _ in self._app_children}
            label = client_id if client_id in known or len(known) < self.per_app else OTHER
            child = self._app_tokens.labels(label, grant)
            if label != OTHER:
                self._app_children[key] = child
        child.inc()
