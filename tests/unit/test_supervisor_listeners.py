"""The supervisor makes every first worker's listener listen before it starts any worker, so that
connections opened while the workers start are spread over all of them (each waits in its
worker's queue) instead of all going to whichever worker listened first and staying there."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from oauthapps.serving.options import ServeOptions
from oauthapps.serving.supervisor import Slot, Supervisor
from oauthapps.serving.worker import WorkerSpec

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")

LISTEN = "0A"


class Started(Exception):
    """Stops the supervisor at its first worker start, before any process exists."""


def _listening(port: int) -> int:
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == LISTEN:
            count += 1
    return count


def test_every_first_listener_listens_before_any_worker_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, bool]] = []

    def start(self: Supervisor, slot: Slot, spec: WorkerSpec, listener: socket.socket | None = None) -> None:
        seen.append((_listening(spec.address.port), listener is not None))
        raise Started

    monkeypatch.setattr(Supervisor, "_start", start)
    supervisor = Supervisor(ServeOptions("127.0.0.1", 0, workers=3))
    with pytest.raises(Started):
        supervisor.run()
    assert seen == [(3, True)]
    # Nothing is left listening once the supervisor is done.
    assert all(slot.listener is None for slot in supervisor.slots)
