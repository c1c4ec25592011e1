"""Persistence: schema, migrations, and repositories over SQLite (default) and PostgreSQL."""
