"""``anonymous`` (Wix Headless): a new visitor for a public client; no secret needed.

Every visitor is a grant with a refresh token (stored as a hash). The rows of concurrent
requests are written together (store/batch.py), and each answer waits for its commit."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from ...domain import credentials
from ...state import AppState
from ...store.grants import Grant
from ...store.tenancy import new_id
from ..clients import authenticate_client
from ..issue import REFRESH_TOKEN_LIFETIME, access_token_for


async def grant(params: dict[str, str], state: AppState) -> dict[str, Any]:
    app = await authenticate_client(params, state)
    at = datetime.now(timezone.utc)
    visitor = Grant(new_id(), app.project_id, app.id, "visitor", str(uuid.uuid4()), None, None)
    refresh = credentials.generate_secret(credentials.REFRESH_TOKEN_PREFIX)
    await state.grant_writer.add(
        {"id": visitor.id, "project_id": visitor.project_id, "oauth_app_id": visitor.oauth_app_id,
         "subject_type": visitor.subject_type, "subject_id": visitor.subject_id, "member_id": None, "created_at": at},
        {"token_hash": credentials.hash_secret(refresh), "grant_id": visitor.id, "created_at": at,
         "expires_at": at + REFRESH_TOKEN_LIFETIME},
    )
    return {**access_token_for(state, visitor), "refresh_token": refresh}
