"""Select queries whose SQL is built once instead of on every run.

Tortoise builds a query's SQL anew each time it runs (pypika: 0.1–0.4 ms of CPU, a
select with a join more), which is longer than SQLite takes to answer it. The few queries
that run for *every* bot update are declared once as a :class:`CompiledSelect`: the
queryset is built with marker values on first use (per database dialect), and later runs
put the real values in the marker's places and hand the SQL straight to Tortoise's
executor, which makes the model instances (``select_related`` included) as usual.

Arguments must be integers (for integer columns) or strings (for text columns), each
used once: the integer marker is found in the parameter list as given or as text.
``tests/models/test_compiled.py`` checks each compiled query against its queryset.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.queryset import QuerySet

MODEL = TypeVar("MODEL", bound=Model)

#: Marker values, one per argument; large and odd enough never to be a real parameter.
_MARKER_BASE = -7_319_004_211_000


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[int, ...]  # where argument i goes in params
    select_related_idx: list[Any]


class CompiledSelect(Generic[MODEL]):
    """``build(*args)`` is a queryset; ``await compiled.first(*args)`` runs its compiled SQL."""

    def __init__(self, model: type[MODEL], build: Callable[..., QuerySet[MODEL]]) -> None:
        self.model = model
        self._build = build
        self._arity = len(inspect.signature(build).parameters)
        self._plans: dict[str, _Plan] = {}

    def _plan(self, db: BaseDBAsyncClient) -> _Plan:
        dialect = db.capabilities.dialect
        plan = self._plans.get(dialect)
        if plan is None:
            markers = [_MARKER_BASE - i for i in range(self._arity)]
            queryset = self._build(*markers)
            queryset._db = db
            queryset._make_query()
            sql, params = queryset.query.get_parameterized_sql()
            plan = self._plans[dialect] = _Plan(
                sql, tuple(params), tuple(self._slot(params, marker) for marker in markers),
                list(queryset._select_related_idx),
            )
        return plan

    def _slot(self, params: list[Any], marker: int) -> int:
        """Where ``marker`` went: as given (integer fields) or as text (text fields)."""
        slots = [i for i, value in enumerate(params) if value == marker or value == str(marker)]
        if len(slots) != 1:
            raise TypeError(f"{self._build}: each argument must be used exactly once")
        return slots[0]

    async def all(self, *args: int | str) -> list[MODEL]:
        db = self.model._meta.db  # the current connection, or the transaction's
        plan = self._plan(db)
        params = list(plan.params)
        for slot, value in zip(plan.slots, args, strict=True):
            params[slot] = value
        executor = db.executor_class(model=self.model, db=db, select_related_idx=plan.select_related_idx)
        return await executor.execute_select(plan.sql, params, custom_fields=[])

    async def first(self, *args: int | str) -> MODEL | None:
        rows = await self.all(*args)
        return rows[0] if rows else None
