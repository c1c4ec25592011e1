"""A module is a group of API calls a client carries under a name (``client.oauth_apps``), as
``createClient({modules: {...}})`` does in the JS SDK."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..dual_mode import Bound
from ..http_calls import Context
from ..operations import M


class Module(Bound[M]):
    """Base of the API modules: they share the client's context (base URL, auth, driver)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx


@dataclass(frozen=True)
class ModuleSpec:
    """What ``create_client(modules=[...])`` takes: the attribute name and the module class."""

    name: str
    module: type[Module[Any]]

    def bind(self, ctx: Context) -> Module[Any]:
        return self.module(ctx)
