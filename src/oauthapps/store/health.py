"""Storage outages as episodes, logged once each in this process: a line when the first request
is refused ("storage unavailable (...)"), and one when storage serves again ("storage back after
N s, K requests refused"), instead of a traceback per request.

The HTTP layer reports each refused request (``refused``); the database layer reports each unit
of work that succeeded (``succeeded``). An episode is over at the first success that comes when
nothing has been refused for ``quiet_seconds``: a disk that is nearly full takes small writes and
refuses big ones, and a database that is coming back may fail a request or two, and neither
should log a line pair per request. An unavailable database counts any success; a full disk only
a successful write (reads go on working while it is full). The duration reported runs from the
first refusal to the first success of the quiet run that ended the episode."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .failures import StorageFailure, StorageState

log = logging.getLogger("oauthapps.store")

QUIET_SECONDS = 2.0


@dataclass
class Episode:
    started: float
    last_refused: float
    refused: int = 1
    ok_since: float | None = None  # the first success since the last refusal


@dataclass
class StorageHealth:
    quiet_seconds: float = QUIET_SECONDS
    clock: Callable[[], float] = time.monotonic
    episodes: dict[StorageState, Episode] = field(default_factory=dict)

    def refused(self, failure: StorageFailure) -> None:
        """One request was answered 503/507 because of ``failure``."""
        now = self.clock()
        episode = self.episodes.get(failure.state)
        if episode is None:
            self.episodes[failure.state] = Episode(now, now)
            if failure.state is StorageState.FULL:
                log.error("storage full (%s): writes are answered 507 until space is freed", failure.cause)
            else:
                log.error("storage unavailable (%s): requests that need it are answered 503", failure.cause)
            return
        episode.refused += 1
        episode.last_refused = now
        episode.ok_since = None

    def succeeded(self, wrote: bool) -> None:
        """A unit of work committed (``wrote``: and it changed something). Called after every
        unit of work, so it costs one test while nothing is wrong."""
        if not self.episodes:
            return
        now = self.clock()
        for state, episode in list(self.episodes.items()):
            if state is StorageState.FULL and not wrote:
                continue
            if episode.ok_since is None:
                episode.ok_since = now
            if now - episode.last_refused < self.quiet_seconds:
                continue
            del self.episodes[state]
            what = "storage has space again" if state is StorageState.FULL else "storage back"
            log.warning("%s after %.1f s, %d requests refused", what, episode.ok_since - episode.started, episode.refused)
