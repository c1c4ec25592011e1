"""Runtime settings, read from the environment so every worker process sees the same values."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .store.database import default_database_url

ACCESS_TOKEN_SECONDS = 14_400  # 4 h, as Wix documents for every token kind
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    database_url: str
    issuer: str
    access_token_seconds: int = ACCESS_TOKEN_SECONDS
    max_body_bytes: int = MAX_BODY_BYTES

    @classmethod
    def from_env(cls) -> "Settings":
        host = os.environ.get("OAUTHAPPS_HOST", "127.0.0.1")
        port = os.environ.get("OAUTHAPPS_PORT", "8080")
        return cls(
            database_url=os.environ.get("OAUTHAPPS_DATABASE_URL") or default_database_url(),
            issuer=(os.environ.get("OAUTHAPPS_ISSUER") or f"http://{host}:{port}").rstrip("/"),
        )
