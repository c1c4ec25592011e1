"""ApiKeyStrategy: a project owner's API key, sent as is; no token calls."""

from __future__ import annotations

from ..operations import M, Op, done
from .base import Strategy


class ApiKeyStrategy(Strategy[M]):
    """``Authorization: <api_key>`` plus ``wix-site-id: <project_id>`` (the server then checks
    that the key belongs to that project). For trusted back ends only: the key is an owner's."""

    def __init__(self, api_key: str, project_id: str | None = None, account_id: str | None = None) -> None:
        self.api_key = api_key
        self.project_id = project_id
        self.account_id = account_id

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": self.api_key}
        if self.project_id:
            headers["wix-site-id"] = self.project_id
        if self.account_id:
            headers["wix-account-id"] = self.account_id
        return headers

    def auth_headers(self) -> Op[dict[str, str]]:
        return (yield from done(self.headers()))
