"""Many ids in one ``IN`` condition, bound in one go.

``filter(id__in=ids)`` makes a pypika object per id to bind it: for an export's 50 chunks of
2,000 ids, those objects took about a tenth of the export's time. ``IdList`` binds the same
parameters with a string join. Parameters rather than numbers written into the SQL: chunks
of one size then share one SQL text, which the database driver prepares once and keeps
(written-in numbers made every chunk a new statement, and SQLite's statement cache held
30 MB of them after one export).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import index

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Parameter, Term


class IdList(Term):
    """``(?,?,…)`` bound to whole numbers, for ``filter(<field>__in=IdList(ids))``; at least one."""

    def __init__(self, ids: Iterable[int]) -> None:
        super().__init__()
        self.ids = list(map(index, ids))  # whole numbers only: not "12", not 1.5
        if not self.ids:
            raise ValueError("IdList needs at least one id")

    def get_sql(self, ctx: SqlContext) -> str:
        parameterizer = ctx.parameterizer
        if parameterizer is None:
            return f"({','.join(map(str, self.ids))})"
        placeholder = parameterizer.placeholder_factory or Parameter.IDX_PLACEHOLDERS.get(
            ctx.dialect, lambda _: Parameter.DEFAULT_PLACEHOLDER)
        first = len(parameterizer.values) + 1
        parameterizer.values.extend(self.ids)
        return f"({','.join(map(placeholder, range(first, first + len(self.ids))))})"
