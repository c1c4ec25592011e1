"""uvicorn's HTTP/1.1 protocol (httptools) with a shutdown that drains instead of dropping.

uvicorn's own shutdown closes every idle keep-alive connection at once, so a request the client
had just sent on it (in the socket, not read yet) was reset unanswered, and a request whose
headers were still arriving too. Here, once shutdown begins:

* a request in progress is answered, with ``Connection: close``, and its connection then closed;
* a request that begins on an idle connection within ``IDLE_GRACE_SECONDS`` is served the same way;
* a connection that stays idle that long is closed (a FIN, never a reset: nothing is left unread).

The server waits for all of that up to the graceful timeout (worker.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

# A client that had a request on the way when the shutdown began is answered if it arrives within
# this long (on a loopback or a LAN it takes microseconds, through a proxy a round trip or two).
IDLE_GRACE_SECONDS = 1


class DrainingHttpProtocol(HttpToolsProtocol):
    def __init__(
        self, config: Config, server_state: ServerState, app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._draining = False
        self._reading_headers = False  # a request has begun and its headers are not complete yet
        # The request to be answered last, with Connection: close, and whether it was keep-alive before.
        self._closing_cycle: RequestResponseCycle | None = None
        self._closing_cycle_kept_alive = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers = True

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        previous = self.cycle
        super().on_headers_complete()
        if self._draining and self.cycle is not previous:
            self._close_after(self.cycle)

    def _newest_cycle(self) -> RequestResponseCycle | None:
        # Pipelined requests wait in ``pipeline``, newest first.
        return self.pipeline[0][0] if self.pipeline else self.cycle

    def _close_after(self, cycle: RequestResponseCycle) -> None:
        """Answer ``cycle`` with Connection: close and close the connection after it. A request
        marked so earlier that has not started answering goes back to keep-alive, so that a request
        pipelined behind it is not dropped."""
        earlier = self._closing_cycle
        if earlier is cycle:
            return
        if earlier is not None and not earlier.response_started:
            earlier.keep_alive = self._closing_cycle_kept_alive
        self._closing_cycle, self._closing_cycle_kept_alive = cycle, cycle.keep_alive
        cycle.keep_alive = False

    def shutdown(self) -> None:
        """Called by the server when it stops: drain this connection (see the module's docstring)."""
        self._draining = True
        # Whatever happens next, an idle connection waits no longer than the grace for a request.
        self.timeout_keep_alive = min(self.timeout_keep_alive, IDLE_GRACE_SECONDS)
        newest = self._newest_cycle()
        if newest is not None and not newest.response_complete:
            if not newest.response_started:
                self._close_after(newest)
            # else its headers went out without Connection: close; once it is complete the
            # connection is idle, and the (now short) keep-alive timeout closes it.
            return
        if self._reading_headers:
            return  # on_headers_complete marks it
        self._unset_keepalive_if_required()
        if not self.transport.is_closing():
            self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
