"""A real browser for the end-to-end tests: Debian's chromium driven by Playwright (Playwright's own
browser downloads are not used; `make browser` installs chromium)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import pytest

from .servers import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 15_000
T = TypeVar("T")

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]
else:
    expect.set_options(timeout=TIMEOUT_MS)


def unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true: the browser tests must run in CI (make browser installs chromium)")
    pytest.skip(f"{reason} (run `make browser`)")


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    """Chromium for the block's length, or a skip (a failure in CI) when it cannot run here."""
    if sync_playwright is None:
        unavailable("the playwright package is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def off_loop(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``work`` on a short-lived thread (it may call ``asyncio.run``, as ``make_tenant`` does)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work, *args, **kwargs).result()
