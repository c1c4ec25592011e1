"""Answering a scrape: every process's values added up (the multi-process mode, when the
supervisor made a directory for them: multiprocess.py), else this process's own."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def registry() -> CollectorRegistry:
    """What a scrape reads: the shared directory's files if there is one, else this process."""
    path = os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    collected = CollectorRegistry()
    MultiProcessCollector(collected, path=path)  # type: ignore[no-untyped-call]
    return collected


def scrape() -> tuple[bytes, str]:
    """The text exposition format and its content type."""
    return generate_latest(registry()), CONTENT_TYPE_LATEST
