"""``serve``: one worker in this process, or a supervisor of several."""

from __future__ import annotations

import os

from ..logs import configure_logging
from ..metrics.exposition import MULTIPROC_ENV
from ..metrics.multiprocess import MetricsDirectory
from ..metrics.serve import MetricsServer
from .listener import Address, bind
from .options import ServeOptions
from .supervisor import Supervisor
from .worker import WorkerSpec, run_worker


def serve(options: ServeOptions) -> int:
    """Serve until SIGTERM/SIGINT; the exit code. Raises ``OSError`` if the address is taken."""
    configure_logging()
    address = Address(options.host, options.port)
    if options.workers == 1:
        # One process: it listens itself, with no SO_REUSEPORT (nothing else may join it).
        listener = bind(address, reuse_port=False)
        port = int(listener.getsockname()[1])
        spec = WorkerSpec(Address(options.host, port), options.graceful_timeout, options.forwarded_allow_ips)
        metrics = MetricsServer(options.host, options.metrics_port) if options.metrics_port else None
        # One process needs no shared directory; one named in the environment is used (emptied first).
        directory = MetricsDirectory() if options.metrics and os.environ.get(MULTIPROC_ENV) else None
        if metrics is not None:
            metrics.start()
        try:
            run_worker(spec, sock=listener)
        finally:
            if metrics is not None:
                metrics.close()
            if directory is not None:
                directory.close()
        return 0
    return Supervisor(options).run()
