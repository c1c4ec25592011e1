"""Storage outages as episodes, logged once each in this process: a line when the first request
is refused ("storage unavailable (...)"), and one when storage serves again ("storage back after
N s, K requests refused"), instead of a traceback per request.

The HTTP layer reports each refused request (``refused``); the database layer reports each unit
of work that succeeded (``succeeded``). An unavailable database is back at the first success of
any kind; a full disk only at the first successful write (reads go on working while it is full)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from .failures import StorageFailure, StorageState

log = logging.getLogger("oauthapps.store")


@dataclass
class Episode:
    started: float  # time.monotonic()
    refused: int = 0


@dataclass
class StorageHealth:
    episodes: dict[StorageState, Episode] = field(default_factory=dict)

    def refused(self, failure: StorageFailure) -> None:
        """One request was answered 503/507 because of ``failure``."""
        episode = self.episodes.get(failure.state)
        if episode is None:
            episode = self.episodes[failure.state] = Episode(time.monotonic())
            if failure.state is StorageState.FULL:
                log.error("storage full (%s): writes are answered 507 until space is freed", failure.cause)
            else:
                log.error("storage unavailable (%s): requests that need it are answered 503", failure.cause)
        episode.refused += 1

    def succeeded(self, wrote: bool) -> None:
        """A unit of work committed (``wrote``: and it changed something). Called after every
        unit of work, so it costs one test while nothing is wrong."""
        if not self.episodes:
            return
        for state in list(self.episodes):
            if state is StorageState.FULL and not wrote:
                continue
            episode = self.episodes.pop(state)
            what = "storage has space again" if state is StorageState.FULL else "storage back"
            log.warning("%s after %.1f s, %d requests refused", what, time.monotonic() - episode.started, episode.refused)
