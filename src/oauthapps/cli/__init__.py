"""The ``oauthapps`` command: serve, set up projects and apps, manage OAuth apps as an owner.

Every command takes ``--database URL`` (default: the SQLite file ``serve`` uses) and goes through
the same service code as the HTTP API. ``--json`` prints machine-readable output for scripts.
One module per command group; ``runner`` holds the shared options and the database plumbing,
``output`` the one way results are printed, ``root`` puts the groups together.
"""

from .root import app, main

__all__ = ["app", "main"]
