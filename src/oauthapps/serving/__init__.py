"""Running the HTTP server: one process (``--workers 1``) or a supervisor of N worker processes,
each accepting on a listener of its own, and a graceful shutdown that drains.

``listener`` binds the sockets, ``protocol`` is uvicorn's HTTP/1.1 protocol with a draining
shutdown, ``worker`` runs one uvicorn server on one listener, ``supervisor`` starts, restarts and
stops the workers, ``options`` holds what ``oauthapps serve`` passes in.
"""

from .options import ServeOptions
from .run import serve

__all__ = ["ServeOptions", "serve"]
