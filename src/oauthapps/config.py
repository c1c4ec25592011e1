"""Runtime settings, read from the environment so every worker process sees the same values."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .store.database import default_database_url

ACCESS_TOKEN_SECONDS = 14_400  # 4 h, as Wix documents for every token kind
CODE_SECONDS = 60  # authorization codes live at most this long (RFC 6749 4.1.2 says 10 min max)
MAX_BODY_BYTES = 1024 * 1024
# New visitors (anonymous grants) per minute and worker, each with a burst of a minute's worth
# (oauth2/anonymous_budget.py); 0 turns a budget off.
ANONYMOUS_PER_APP_PER_MINUTE = 6_000
ANONYMOUS_PER_ADDRESS_PER_MINUTE = 1_200
PURGE_INTERVAL_SECONDS = 1_800  # how often a server deletes expired rows (services/purge.py); 0: never


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

    @classmethod
    def from_env(cls) -> Settings:
        host = os.environ.get("OAUTHAPPS_HOST", "127.0.0.1")
        port = os.environ.get("OAUTHAPPS_PORT", "8080")
        return cls(
            database_url=os.environ.get("OAUTHAPPS_DATABASE_URL") or default_database_url(),
            issuer=(os.environ.get("OAUTHAPPS_ISSUER") or f"http://{host}:{port}").rstrip("/"),
            # Shorter lifetimes are for tests and strict deployments; never longer than the defaults.
            access_token_seconds=_seconds("OAUTHAPPS_ACCESS_TOKEN_SECONDS", ACCESS_TOKEN_SECONDS, 1, ACCESS_TOKEN_SECONDS),
            code_seconds=_seconds("OAUTHAPPS_CODE_SECONDS", CODE_SECONDS, 1, CODE_SECONDS),
            access_log=_flag("OAUTHAPPS_ACCESS_LOG", True),
            anonymous_per_app_per_minute=_per_minute("OAUTHAPPS_ANONYMOUS_PER_APP_PER_MINUTE", ANONYMOUS_PER_APP_PER_MINUTE),
            anonymous_per_address_per_minute=_per_minute("OAUTHAPPS_ANONYMOUS_PER_ADDRESS_PER_MINUTE", ANONYMOUS_PER_ADDRESS_PER_MINUTE),
            api_docs=_flag("OAUTHAPPS_API_DOCS", True),
            purge_interval_seconds=_seconds("OAUTHAPPS_PURGE_INTERVAL_SECONDS", PURGE_INTERVAL_SECONDS, 0, 7 * 86_400),
        )
