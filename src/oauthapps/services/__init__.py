"""Use cases shared by the HTTP API and the CLI: validate, authorise, write atomically, audit."""
