"""What every auth strategy is: something a client attaches to, that produces the headers for
the next call (and may fetch a token first to do so)."""

from __future__ import annotations

from ..dual_mode import Bound
from ..http_calls import Context
from ..operations import M, Op


class Strategy(Bound[M]):
    """Base of the auth strategies. One strategy serves one client: its cached tokens are that
    client's session. To move a session, copy tokens with ``get_tokens``/``set_tokens``."""

    def attach(self, ctx: Context) -> None:
        """Called by ``create_client``; attaching to a second client is refused."""
        if self._ctx is not None and self._ctx is not ctx:
            raise RuntimeError(f"this {type(self).__name__} already belongs to another client; create one per client")
        self._ctx = ctx

    def auth_headers(self) -> Op[dict[str, str]]:
        raise NotImplementedError
