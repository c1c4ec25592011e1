"""The ids of visitor rows, and the choice of writer, without a database server (the visitor write
path itself, on SQLite and PostgreSQL, is in tests/api/test_visitor_batch.py)."""

from __future__ import annotations

import time
import uuid

from oauthapps.ids import random_uuid, time_ordered_uuid
from oauthapps.store import visitor_sinks
from oauthapps.store.database import Database
from oauthapps.store.visitor_sinks import PoolSink

# --- ids ----------------------------------------------------------------------------------------


def test_ids_are_the_text_of_rfc_4122_uuids() -> None:
    for make, version in ((random_uuid, 4), (time_ordered_uuid, 7)):
        ids = {make() for _ in range(2000)}
        assert len(ids) == 2000
        for text in ids:
            parsed = uuid.UUID(text)
            assert str(parsed) == text and parsed.version == version and parsed.variant == uuid.RFC_4122


def test_time_ordered_ids_sort_by_creation_time() -> None:
    first = time_ordered_uuid()
    time.sleep(0.002)
    second = time_ordered_uuid()
    assert first < second
    millis = int(second.replace("-", "")[:12], 16)
    assert abs(millis - time.time() * 1000) < 5000


# --- the writer ---------------------------------------------------------------------------------


async def test_an_in_memory_sqlite_database_uses_the_pool_fallback() -> None:
    database = Database.open("sqlite:///:memory:")
    try:
        assert isinstance(visitor_sinks.open_sink(database.engine), PoolSink)
    finally:
        await database.close()
