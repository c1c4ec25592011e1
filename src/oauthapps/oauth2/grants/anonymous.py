"""``anonymous`` (Wix Headless): a new visitor for a public client; no secret needed."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from ...state import AppState
from ...store import grants
from ..clients import authenticate_client
from ..issue import access_token_for, new_refresh_token


async def grant(params: dict[str, str], state: AppState) -> dict[str, Any]:
    app = await authenticate_client(params, state)
    at = datetime.now(timezone.utc)
    async with state.db.transaction() as conn:
        visitor = await grants.create_grant(
            conn, project_id=app.project_id, oauth_app_id=app.id, subject_type="visitor",
            subject_id=str(uuid.uuid4()), member_id=None, at=at,
        )
        refresh = await new_refresh_token(conn, visitor, at)
    return {**access_token_for(state, visitor), "refresh_token": refresh}
