"""``anonymous`` (Wix Headless): a new visitor for a public client; no secret needed.

Every visitor is a grant with a refresh token (stored as a hash). The rows of concurrent
requests are written together (store/visitor_writer.py), and each answer waits for its commit. This is
the busiest write path, so the rows are built as plain values: ids formatted straight from random
bytes (ids.py) and timestamps as the integer microseconds the schema stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ... import clock
from ...domain import credentials
from ...ids import random_uuid, time_ordered_uuid
from ...runtime import Runtime
from ...store.grants import Grant, GrantSubject
from ...store.visitor_sinks import VisitorRows
from ..clients import authenticate_client
from ..issue import REFRESH_TOKEN_LIFETIME, access_token_for

_REFRESH_LIFETIME_US = REFRESH_TOKEN_LIFETIME // timedelta(microseconds=1)


async def grant(params: dict[str, str], runtime: Runtime) -> dict[str, Any]:
    app = await authenticate_client(params, runtime)
    visitor = Grant(time_ordered_uuid(), app.project_id, app.id, GrantSubject.VISITOR, random_uuid(), None, None)
    refresh = credentials.generate_secret(credentials.REFRESH_TOKEN_PREFIX)
    at = clock.micros()
    await runtime.visitor_writer.add(
        VisitorRows(
            visitor.id,
            visitor.project_id,
            visitor.oauth_app_id,
            visitor.subject_id,
            credentials.hash_secret(refresh),
            at,
            at + _REFRESH_LIFETIME_US,
        )
    )
    return {**access_token_for(runtime, visitor), "refresh_token": refresh}
