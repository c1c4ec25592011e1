"""``create_client`` and ``create_async_client``: one auth strategy, some modules, one base URL.
The two clients differ only in their driver and in how they are closed; the strategy and the
modules are the same objects either way (see ``dual_mode``)."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar, cast, overload

import httpx

from .http_calls import Context
from .modules import ALL_MODULES, DataModule, MembersModule, Module, ModuleSpec, OAuthAppsModule
from .operations import Async, AsyncRunner, M, Runner, Sync, SyncRunner
from .strategies import OAuthStrategy, Strategy

S = TypeVar("S", bound=Strategy[Any])
USER_AGENT = "oauthapps-python-sdk"
DEFAULT_TIMEOUT = 30.0


class _BaseClient(Generic[M, S]):
    def __init__(self, auth: S, base_url: str, modules: Sequence[ModuleSpec] | None, runner: Runner) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        self.auth = auth
        self.base_url = base_url.rstrip("/")
        context = Context(self.base_url, runner, auth, {"User-Agent": USER_AGENT})
        auth.attach(context)
        specs = ALL_MODULES if modules is None else modules
        self._modules: dict[str, Module[Any]] = {spec.name: spec.bind(context) for spec in specs}

    def module(self, name: str) -> Module[Any]:
        """An attached module by name (the properties below are the typed way in)."""
        try:
            return self._modules[name]
        except KeyError:
            raise AttributeError(f"the client has no {name!r} module; pass it in create_client(modules=[...])") from None

    @property
    def oauth_apps(self) -> OAuthAppsModule[M]:
        return cast(OAuthAppsModule[M], self.module("oauth_apps"))

    @property
    def data(self) -> DataModule[M]:
        return cast(DataModule[M], self.module("data"))

    @property
    def members(self) -> MembersModule[M]:
        return cast(MembersModule[M], self.module("members"))


class Client(_BaseClient[Sync, S]):
    """Blocking client; methods return results. Close it (or use ``with``) unless you passed
    your own ``http_client``."""

    def __init__(
        self,
        auth: S,
        base_url: str,
        modules: Sequence[ModuleSpec] | None = None,
        http_client: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._owns_http = http_client is None
        self.http = http_client or httpx.Client(timeout=timeout)
        super().__init__(auth, base_url, modules, SyncRunner(self.http))

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Client[S]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncClient(_BaseClient[Async, S]):
    """asyncio client; the same methods return coroutines."""

    def __init__(
        self,
        auth: S,
        base_url: str,
        modules: Sequence[ModuleSpec] | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._owns_http = http_client is None
        self.http = http_client or httpx.AsyncClient(timeout=timeout)
        super().__init__(auth, base_url, modules, AsyncRunner(self.http))

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    async def __aenter__(self) -> AsyncClient[S]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


# The overloads only tell type checkers that an OAuthStrategy's own calls (get_auth_url, ...)
# return results on a sync client and coroutines on an async one.
@overload
def create_client(
    *,
    auth: OAuthStrategy[Any],
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Client[OAuthStrategy[Sync]]: ...
@overload
def create_client(
    *,
    auth: S,
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Client[S]: ...
def create_client(
    *,
    auth: Any,
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.Client | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """A blocking client. ``modules`` defaults to all of ``oauth_apps``, ``data``, ``members``;
    pass ``http_client`` to control proxies, retries or event hooks (it is then not closed)."""
    return Client(auth, base_url, modules, http_client, timeout)


@overload
def create_async_client(
    *,
    auth: OAuthStrategy[Any],
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AsyncClient[OAuthStrategy[Async]]: ...
@overload
def create_async_client(
    *,
    auth: S,
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> AsyncClient[S]: ...
def create_async_client(
    *,
    auth: Any,
    base_url: str,
    modules: Sequence[ModuleSpec] | None = None,
    http_client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Any:
    """The asyncio twin of :func:`create_client`."""
    return AsyncClient(auth, base_url, modules, http_client, timeout)
