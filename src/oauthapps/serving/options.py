"""What ``oauthapps serve`` decides about serving (the app itself reads its settings from the
environment, in each worker: config.py)."""

from __future__ import annotations

from dataclasses import dataclass

GRACEFUL_TIMEOUT_SECONDS = 10
# After the drain: the app's own shutdown (the visitor writer's last batch, the access log, closing
# the database) gets this much more before a worker is stopped regardless.
FLUSH_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    workers: int = 1
    # How long a shutdown waits for the requests already received to be answered.
    graceful_timeout: int = GRACEFUL_TIMEOUT_SECONDS
    # The reverse proxies whose X-Forwarded-For names the client (config.trusted_proxies); None: no one.
    forwarded_allow_ips: str | None = None
    metrics: bool = True  # Prometheus metrics: the supervisor makes the workers' shared directory
    # /metrics on a port of its own, served by the supervisor (or the one process): metrics/serve.py.
    metrics_port: int | None = None
