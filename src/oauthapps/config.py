"""Runtime settings, read from the environment so every worker process sees the same values."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta

from .domain.attempt_limits import DEFAULT_LOGIN_DELAY, AttemptLimits
from .domain.query_limits import QUERY_LIMITS
from .logs import LogFormat, log_format_from_env
from .mail.settings import MailSettings
from .store.caches import CACHE_NAMES, Budget, CacheBudgets
from .store.database import default_database_url

ACCESS_TOKEN_SECONDS = 14_400  # 4 h, as Wix documents for every token kind
CODE_SECONDS = 60  # authorization codes live at most this long (RFC 6749 4.1.2 says 10 min max)
# New visitors (anonymous grants) per minute and worker, each with a burst of a minute's worth
# (oauth2/anonymous_budget.py); 0 turns a budget off.
ANONYMOUS_PER_APP_PER_MINUTE = 6_000
ANONYMOUS_PER_ADDRESS_PER_MINUTE = 1_200
PURGE_INTERVAL_SECONDS = 1_800  # how often a server deletes expired rows (services/purge.py); 0: never
MAX_BODY_BYTES = QUERY_LIMITS.max_body_bytes
MAX_METRICS_PER_APP = 1_000  # apps labelled one by one at most, per process (the rest: "other")


def _seconds(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = int(raw)
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}")
    return value


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in ("1", "true", "on", "yes", "0", "false", "off", "no"):
        raise ValueError(f"{name} must be on or off")
    return value in ("1", "true", "on", "yes")


def _per_minute(name: str, default: int) -> int:
    return _seconds(name, default, 0, 10_000_000)


def trusted_proxies(raw: str | None) -> str | None:
    """``--forwarded-allow-ips``: the reverse proxies whose ``X-Forwarded-For`` is believed, as
    comma-separated IP addresses or networks; None (the default) believes no one. No ``*``: with
    it uvicorn takes the leftmost address, which the client writes itself."""
    if raw is None or not raw.strip():
        return None
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network; list the proxies' addresses") from exc
    return ",".join(items)


_SIZE = re.compile(r"(\d{1,15})\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
MAX_CACHE_BYTES = 64 * 1024**3


def _byte_size(text: str) -> int:
    """``4096``, ``512KiB``, ``32MiB``, ``1G``: binary units, whatever the case."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a size: write bytes, or a number with KiB, MiB or GiB")
    return int(match[1]) * _UNITS[match[2].lower()]


def cache_budgets(raw: str | None) -> CacheBudgets:
    """``OAUTHAPPS_CACHE_BYTES``: each process cache's byte budget, as ``name=size`` pairs
    separated by commas (``grants=32MiB,verified_tokens=8MiB``); caches not named keep their
    defaults (store/caches.py CacheBudgets). ``0`` turns a cache's memory down to nothing."""
    budgets = CacheBudgets()
    if raw is None or not raw.strip():
        return budgets
    for item in raw.split(","):
        name, sep, size = (part.strip() for part in item.partition("="))
        if not sep or name not in CACHE_NAMES:
            raise ValueError(f"OAUTHAPPS_CACHE_BYTES: {item.strip()!r} is not name=size with a name of {', '.join(CACHE_NAMES)}")
        value = _byte_size(size)
        if value > MAX_CACHE_BYTES:
            raise ValueError(f"OAUTHAPPS_CACHE_BYTES: {name} may be at most 64 GiB")
        current: Budget = getattr(budgets, name)
        budgets = replace(budgets, **{name: Budget(current.entries, value)})
    return budgets


@dataclass(frozen=True)
class Settings:
    database_url: str
    issuer: str
    access_token_seconds: int = ACCESS_TOKEN_SECONDS
    code_seconds: int = CODE_SECONDS
    max_body_bytes: int = MAX_BODY_BYTES
    access_log: bool = True
    anonymous_per_app_per_minute: int = ANONYMOUS_PER_APP_PER_MINUTE
    anonymous_per_address_per_minute: int = ANONYMOUS_PER_ADDRESS_PER_MINUTE
    purge_interval_seconds: int = PURGE_INTERVAL_SECONDS
    api_docs: bool = True
    attempt_limits: AttemptLimits = field(default_factory=AttemptLimits.default)
    mail: MailSettings = field(default_factory=lambda: MailSettings(from_address="no-reply@localhost"))
    cache_budgets: CacheBudgets = field(default_factory=CacheBudgets)
    cache_report_seconds: int = 300  # how often each process logs its caches' sizes; 0: never
    log_format: LogFormat = LogFormat.TEXT
    metrics: bool = True  # Prometheus metrics (metrics/); off: nothing recorded, no /metrics
    # Served on a port of its own (then not on the public one); None: at /metrics on the public port.
    metrics_port: int | None = None
    metrics_per_app: int = 0  # token counts labelled by OAuth app, for at most this many apps; 0: off
    metrics_sample_seconds: int = 5  # how often each process samples its gauges (metrics/sampler.py)

    @classmethod
    def from_env(cls) -> Settings:
        host = os.environ.get("OAUTHAPPS_HOST", "127.0.0.1")
        port = os.environ.get("OAUTHAPPS_PORT", "8080")
        issuer = (os.environ.get("OAUTHAPPS_ISSUER") or f"http://{host}:{port}").rstrip("/")
        return cls(
            database_url=os.environ.get("OAUTHAPPS_DATABASE_URL") or default_database_url(),
            issuer=issuer,
            # Shorter lifetimes are for tests and strict deployments; never longer than the defaults.
            access_token_seconds=_seconds("OAUTHAPPS_ACCESS_TOKEN_SECONDS", ACCESS_TOKEN_SECONDS, 1, ACCESS_TOKEN_SECONDS),
            code_seconds=_seconds("OAUTHAPPS_CODE_SECONDS", CODE_SECONDS, 1, CODE_SECONDS),
            access_log=_flag("OAUTHAPPS_ACCESS_LOG", True),
            anonymous_per_app_per_minute=_per_minute("OAUTHAPPS_ANONYMOUS_PER_APP_PER_MINUTE", ANONYMOUS_PER_APP_PER_MINUTE),
            anonymous_per_address_per_minute=_per_minute("OAUTHAPPS_ANONYMOUS_PER_ADDRESS_PER_MINUTE", ANONYMOUS_PER_ADDRESS_PER_MINUTE),
            api_docs=_flag("OAUTHAPPS_API_DOCS", True),
            purge_interval_seconds=_seconds("OAUTHAPPS_PURGE_INTERVAL_SECONDS", PURGE_INTERVAL_SECONDS, 0, 7 * 86_400),
            # The first wait after an account's free failed sign-ins (it doubles from there).
            attempt_limits=AttemptLimits.default(
                timedelta(seconds=_seconds("OAUTHAPPS_LOGIN_DELAY_SECONDS", int(DEFAULT_LOGIN_DELAY.total_seconds()), 1, 3600))
            ),
            mail=MailSettings.from_env(issuer),
            cache_budgets=cache_budgets(os.environ.get("OAUTHAPPS_CACHE_BYTES")),
            cache_report_seconds=_seconds("OAUTHAPPS_CACHE_REPORT_SECONDS", 300, 0, 86_400),
            log_format=log_format_from_env(),
            metrics=_flag("OAUTHAPPS_METRICS", True),
            metrics_port=_seconds("OAUTHAPPS_METRICS_PORT", 0, 0, 65_535) or None,
            metrics_per_app=_seconds("OAUTHAPPS_METRICS_PER_APP", 0, 0, MAX_METRICS_PER_APP),
            metrics_sample_seconds=_seconds("OAUTHAPPS_METRICS_SAMPLE_SECONDS", 5, 1, 300),
        )
