"""How one copy of each operation serves both clients: methods decorated with :class:`operation`
return an ``Op``; read through an object bound to a sync client they run and return the result,
through an async one they return a coroutine. Type checkers see the right signature for each
(the overloads of ``__get__`` pick it from the object's mode, ``Sync`` or ``Async``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from .http_calls import Context
from .operations import Async, M, Op, Sync

P = ParamSpec("P")
T = TypeVar("T")


class Bound(Generic[M]):
    """Something whose operations run on a client's driver (a module, a strategy, a query)."""

    _ctx: Context | None = None

    @property
    def context(self) -> Context:
        if self._ctx is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to a client; pass it to create_client() first")
        return self._ctx


class operation(Generic[P, T]):
    """Turn a method returning ``Op[T]`` into one returning ``T`` (sync) or a coroutine (async)."""

    def __init__(self, fn: Callable[Concatenate[Any, P], Op[T]]) -> None:
        self.op = fn
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> operation[P, T]: ...
    @overload
    def __get__(self, obj: Bound[Sync], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: Bound[Async], owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, obj: Bound[Any] | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        fn = self.op

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            # A wrong argument list fails here, before any request is made.
            return obj.context.runner.run(fn(obj, *args, **kwargs))

        return run
