"""The query builder shared by every queryable resource, as in the JS SDK: immutable, chainable,
``find()`` sends ``{query: {filter, sort, paging: {limit, offset}}}``, and the result pages with
``next()``. Several conditions are joined with ``$and``, as the JS builder does."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypeVar

from ..dual_mode import Bound, operation
from ..http_calls import Context, call
from ..operations import M, Op

T = TypeVar("T")
Filter = dict[str, Any]
DEFAULT_LIMIT = 50  # the JS builder's default page size


def _join(operator: str, a: Filter, b: Filter) -> Filter:
    if not a:
        return b
    if not b:
        return a
    parts = [*(a[operator] if set(a) == {operator} else [a]), *(b[operator] if set(b) == {operator} else [b])]
    return {operator: parts}


def and_filters(a: Filter, b: Filter) -> Filter:
    return _join("$and", a, b)


def or_filters(a: Filter, b: Filter) -> Filter:
    return _join("$or", a, b)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class QueryTarget(Generic[T]):
    """What differs between queryable resources: where to send, where the items are in the
    answer, how to turn one into ``T``, and how field names and values go on the wire."""

    path: str
    items_key: str
    decode: Callable[[dict[str, Any]], T]
    body: Mapping[str, Any] = field(default_factory=dict)
    renames: Mapping[str, str] = field(default_factory=dict)
    encode: Callable[[Any], Any] = _same


class QueryBuilder(Bound[M], Generic[M, T]):
    """Build with ``eq``/``gt``/``starts_with``/..., order with ``ascending``/``descending``,
    page with ``limit``/``skip``, then ``find()``. Every method returns a new builder."""

    def __init__(self, ctx: Context, target: QueryTarget[T]) -> None:
        self._ctx = ctx
        self.target = target
        self.filter: Filter = {}
        self.sort: list[dict[str, str]] = []
        self.page_size = DEFAULT_LIMIT
        self.offset = 0

    def _copy(self, **changes: Any) -> Self:
        clone = copy.copy(self)
        for name, value in changes.items():
            setattr(clone, name, value)
        return clone

    def _name(self, name: str) -> str:
        return self.target.renames.get(name, name)

    def _where(self, name: str, condition: Any) -> Self:
        return self._copy(filter=and_filters(self.filter, {self._name(name): condition}))

    def eq(self, name: str, value: Any) -> Self:
        return self._where(name, self.target.encode(value))

    def ne(self, name: str, value: Any) -> Self:
        return self._where(name, {"$ne": self.target.encode(value)})

    def gt(self, name: str, value: Any) -> Self:
        return self._where(name, {"$gt": self.target.encode(value)})

    def ge(self, name: str, value: Any) -> Self:
        return self._where(name, {"$gte": self.target.encode(value)})

    def lt(self, name: str, value: Any) -> Self:
        return self._where(name, {"$lt": self.target.encode(value)})

    def le(self, name: str, value: Any) -> Self:
        return self._where(name, {"$lte": self.target.encode(value)})

    def starts_with(self, name: str, prefix: str) -> Self:
        return self._where(name, {"$startsWith": prefix})

    def has_some(self, name: str, *values: Any) -> Self:
        """The field equals any of ``values`` (sent as ``$in``); a single list also works."""
        flat = values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else values
        return self._where(name, {"$in": [self.target.encode(v) for v in flat]})

    def has_elements(self, name: str, *values: Any) -> Self:
        """An array field holds at least one of ``values`` (data items' ``$hasSome``)."""
        flat = values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else values
        return self._where(name, {"$hasSome": [self.target.encode(v) for v in flat]})

    def has_all(self, name: str, *values: Any) -> Self:
        """An array field holds every one of ``values`` (data items' ``$hasAll``)."""
        flat = values[0] if len(values) == 1 and isinstance(values[0], (list, tuple)) else values
        return self._where(name, {"$hasAll": [self.target.encode(v) for v in flat]})

    def exists(self, name: str, present: bool = True) -> Self:
        return self._where(name, {"$exists": present})

    def and_(self, other: QueryBuilder[Any, Any]) -> Self:
        return self._copy(filter=and_filters(self.filter, other.filter))

    def or_(self, other: QueryBuilder[Any, Any]) -> Self:
        return self._copy(filter=or_filters(self.filter, other.filter))

    def ascending(self, *names: str) -> Self:
        return self._copy(sort=[*self.sort, *({"fieldName": self._name(n), "order": "ASC"} for n in names)])

    def descending(self, *names: str) -> Self:
        return self._copy(sort=[*self.sort, *({"fieldName": self._name(n), "order": "DESC"} for n in names)])

    def limit(self, limit: int) -> Self:
        return self._copy(page_size=limit)

    def skip(self, offset: int) -> Self:
        return self._copy(offset=offset)

    def to_wire(self) -> dict[str, Any]:
        """The ``query`` object as sent."""
        query: dict[str, Any] = {"filter": self.filter, "paging": {"offset": self.offset, "limit": self.page_size}}
        if self.sort:
            query["sort"] = self.sort
        return query

    def run(self) -> Op[QueryResult[M, T]]:
        """``find`` as a bare operation, for composing with other operations."""
        answer = yield from call(self.context, "POST", self.target.path, json={**self.target.body, "query": self.to_wire()})
        raw = answer.get(self.target.items_key) or []
        metadata = answer.get("pagingMetadata") or {}
        return QueryResult(self, [self.target.decode(item) for item in raw], metadata)

    @operation
    def find(self) -> Op[QueryResult[M, T]]:
        """Run the query: one page of results."""
        return (yield from self.run())


class QueryResult(Bound[M], Generic[M, T]):
    """One page: ``items``, ``total_count``, ``has_next()``/``next()`` (and back)."""

    def __init__(self, query: QueryBuilder[M, T], items: list[T], metadata: Mapping[str, Any]) -> None:
        self._ctx = query.context
        self.query: QueryBuilder[M, T] = query
        self.items: list[T] = items
        self.metadata: dict[str, Any] = dict(metadata)
        total = metadata.get("total")
        self.total_count: int | None = None if metadata.get("tooManyToCount") or total is None else int(total)

    @property
    def offset(self) -> int:
        return self.query.offset

    @property
    def page_size(self) -> int:
        return self.query.page_size

    @property
    def current_page(self) -> int | None:
        return self.offset // self.page_size if self.page_size else None

    @property
    def total_pages(self) -> int | None:
        if self.total_count is None or not self.page_size:
            return None
        return -(-self.total_count // self.page_size)

    def has_next(self) -> bool:
        """From the total when the server counted; else from its ``hasNext``; else a full page."""
        if not self.page_size:
            return False
        if self.total_count is not None:
            return self.offset + len(self.items) < self.total_count
        if "hasNext" in self.metadata:
            return bool(self.metadata["hasNext"])
        return len(self.items) == self.page_size

    def has_prev(self) -> bool:
        return self.offset > 0

    @operation
    def next(self) -> Op[QueryResult[M, T]]:
        if not self.has_next():
            raise IndexError("There is no next page")
        return (yield from self.query.skip(self.offset + len(self.items)).run())

    @operation
    def prev(self) -> Op[QueryResult[M, T]]:
        if not self.has_prev():
            raise IndexError("There is no previous page")
        return (yield from self.query.skip(max(self.offset - self.page_size, 0)).run())

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
