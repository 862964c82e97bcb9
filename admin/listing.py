"""The machinery every admin list shares: filters, search, sorting, pagination and Excel export.

A list is declared once as a ``ListSpec`` (columns, filters, search fields, sort
keys) and bound to a request and a scoped queryset::

    listing = await MEMBER_LIST.bind(request, scope.members())
    page = await listing.page()                # for the HTML table
    return await listing.export()              # the same rows as an .xlsx download

The export walks the whole filtered and sorted view without OFFSET scans: it reads the
ordered ids once (one narrow query), then fetches the records ``CHUNK_ROWS`` at a time by
id with the same query (so the same order), and streams the workbook (``admin.excel``).
A spec that names its ``export_fields`` (``values()`` paths such as ``"branch__parent__name"``)
is exported from plain rows instead of model instances, several times faster: each row
becomes a light record with the same attribute paths (``row.branch.parent.name``; a
relation whose ``id`` is null is None), so the columns' ``value`` functions serve both.
Likewise a spec that names its ``page_fields`` (what the table shows) reads each page as
such records: no model instances, and only the columns the page needs (every datetime
column read is a parse).

Everything read from the query string is whitelisted: a filter value must be
one of the filter's options, a sort key one of the sortable columns. Columns
marked ``personal`` (phone numbers) are shown, searched and exported only when
``Scope.sees_personal_data``. The export route of spec ``name`` is the route
named ``"<name>.export"``.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from operator import itemgetter
from types import SimpleNamespace
from typing import Any, NamedTuple

from aiohttp import web
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from admin.auth import current_scope
from admin.excel import CHUNK_ROWS, xlsx_response
from admin.forms import Option, int_or_none, translated_options, unit_options
from admin.i18n import gettext_of
from admin.keys import SETTINGS
from admin.templating import localtime
from locales import N_
from models.id_list import IdList
from models.org import OrgUnit
from models.text import containing

RESERVED_PARAMS = frozenset({"q", "sort", "page"})
SEARCH_MAX = 100


OptionsProvider = Callable[[web.Request], Awaitable[list[Option]]]


def label_options(labels: Mapping[str, str]) -> OptionsProvider:
    """Options from one of the domain's ``*_LABELS`` dicts, translated for the request."""

    async def options(request: web.Request) -> list[Option]:
        return translated_options(labels, gettext_of(request))

    return options


#: A yes / no filter's options, in the reader's language.
YES_NO_OPTIONS = label_options({"yes": N_("Yes"), "no": N_("No")})

#: The most values a filter offers from the data (see :func:`distinct_options`).
OPTIONS_MAX = 300


def distinct_options(rows: Callable[[web.Request], QuerySet], field: str) -> OptionsProvider:
    """Options from the values ``field`` takes in ``rows(request)`` (what the user may see):
    each once, in order, empties left out, at most :data:`OPTIONS_MAX`."""

    async def options(request: web.Request) -> list[Option]:
        values = await (rows(request).order_by(field).distinct().limit(OPTIONS_MAX)
                        .values_list(field, flat=True))
        return [Option(value, value) for value in values if value]

    return options


@dataclass(frozen=True)
class Filter:
    name: str  # query parameter
    label: str  # message id
    options: OptionsProvider
    apply: Callable[[QuerySet, str], QuerySet]  # receives a value that is one of the options
    default: str = ""  # "" means "all"


def org_filter(path_field: str, name: str = "org") -> Filter:
    """Filter by a unit of the user's organisation and everything below it.

    ``path_field`` is the ORM path to the record's unit path, e.g. ``"branch__path"``.
    Paths look like ``/1/5/12/``, so "unit 5 or below" is "the path contains /5/": the
    units are picked from the unit table (a few dozen rows), and the records by their unit's
    id (``branch_id IN (…)``, an index), not by joining every record to its unit's path.
    """
    unit_id_field = path_field.removesuffix("__path") + "_id"

    async def options(request: web.Request) -> list[Option]:
        scope = current_scope(request)
        return unit_options(await scope.org_units(), scope.org.depth)

    def apply(queryset: QuerySet, unit_id: str) -> QuerySet:
        units = OrgUnit.filter(path__contains=f"/{unit_id}/").values("id")
        return queryset.filter(**{f"{unit_id_field}__in": Subquery(units)})

    return Filter(name, N_("Organisation"), options, apply)


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # message id
    value: Callable[[Any], object]
    sort: tuple[str, ...] = ()  # ORM fields, ascending; makes the column sortable by ``key``
    href: Callable[[Any], str] | None = None
    translate: bool = False  # the value is a message id (a domain label)
    personal: bool = False  # contact details: only for roles that may see them
    in_table: bool = True  # False: only in the Excel export
    in_export: bool = True  # False: only on the page (e.g. a summary of exported columns)
    # The rows in this column's ascending order, as consecutive segments (each a filter; together
    # they cover every row once), e.g. branch pledges (no member name) then members' pledges.
    # A page is read segment by segment, so each query can walk an index with LIMIT (an inner
    # join to the member name) instead of sorting every row; descending reverses the segments.
    sort_segments: tuple[Mapping[str, object], ...] = ()
    # True: descending keeps the segments' order (see ``nulls_last_sort``).
    fixed_segments: bool = False


def nulls_last_sort(field: str, *then: str) -> dict[str, Any]:
    """``Column`` keywords to sort by a field that may be empty, empty rows last either way.

    Databases disagree on where NULL sorts (SQLite: first ascending, PostgreSQL: last), so
    the rows with a value and those without are two segments in that order, whatever the
    direction; each reads an index on the field in order.
    """
    return {"sort": (field, *then),
            "sort_segments": ({f"{field}__not_isnull": True}, {f"{field}__isnull": True}),
            "fixed_segments": True}


def unit_name_sort(relation: str, *then: str) -> dict[str, Any]:
    """``Column`` keywords to sort by the name of the unit ``relation`` (e.g. ``"branch"``),
    then by ``then``: unit names repeat, so the unit's id keeps each unit's rows together.

    One segment, ``name >= ""`` (true of every unit), joins the unit as an inner join, so
    the database can walk units by name (an index) and each unit's rows by an index on the
    foreign key instead of sorting every row.
    """
    return {"sort": (f"{relation}__name", f"{relation}__id", *then),
            "sort_segments": ({f"{relation}__name__gte": ""},)}


class Cell(NamedTuple):
    key: str  # the column's
    label: str  # the column's heading, for the phone layout's cards
    text: str
    href: str | None


@dataclass(frozen=True)
class Input:
    """A free-form list parameter (a date, a year) the view validated and applied itself.

    Shown in the list controls (``type`` "hidden" keeps it without showing it) and kept in
    every link of the list (pages, sorting, export).
    """

    name: str
    label: str  # message id
    value: str
    type: str = "text"


@dataclass(frozen=True)
class ListSpec:
    name: str  # also the export file name and the export route "<name>.export"
    columns: tuple[Column, ...]
    default_sort: str  # a sortable column key, "-key" for descending
    filters: tuple[Filter, ...] = ()
    search_fields: tuple[str, ...] = ()
    personal_search_fields: tuple[str, ...] = ()
    # To-many searches, e.g. a pledge's item texts: each turns the search text into a
    # condition (``id__in`` ids or a subquery), so the list needs neither a join nor DISTINCT;
    # None when it found nothing (an ``IN ()`` would still cost every row a test).
    search_conditions: tuple[Callable[[str], Awaitable[Q | None]], ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    page_size: int = 50
    # Called with each page and each export chunk of records, e.g. to attach what needs a
    # query per batch (names of related records that are not foreign keys).
    decorate: Callable[[list[Any]], Awaitable[None]] | None = None
    # The export's ``values()`` paths (every attribute the columns read); empty: the export
    # fetches model instances with ``select_related``/``prefetch_related`` like the page.
    export_fields: tuple[str, ...] = ()
    # Called with each export chunk of row records when ``export_fields`` is set (to-many
    # data such as a pledge's items); defaults to ``decorate``.
    export_decorate: Callable[[list[Any]], Awaitable[None]] | None = None
    # The ``values()`` paths the table's columns (and the list's template) read; set: a page
    # is read as light records like the export (``decorate`` then receives records). To-one
    # relations only: a to-many path would repeat rows within a page.
    page_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        clashing = RESERVED_PARAMS & {f.name for f in self.filters}
        if clashing:
            raise ValueError(f"filter names {clashing} clash with list parameters")
        if self.default_sort.removeprefix("-") not in self.sortable:
            raise ValueError(f"default sort {self.default_sort!r} is not a sortable column")

    @property
    def sortable(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns if column.sort}

    async def bind(
        self, request: web.Request, queryset: QuerySet, inputs: tuple[Input, ...] = ()
    ) -> Listing:
        """Apply the request's search, filters and sort to an already scoped queryset.

        ``inputs`` are parameters the view applied to ``queryset`` itself (kept in links).
        """
        query = request.query
        personal_ok = current_scope(request).sees_personal_data

        search = query.get("q", "").strip()[:SEARCH_MAX]
        search_fields = self.search_fields + (self.personal_search_fields if personal_ok else ())
        if search and (search_fields or self.search_conditions):
            found = [await condition(search) for condition in self.search_conditions]
            conditions = [containing(name, search) for name in search_fields]
            conditions += [condition for condition in found if condition is not None]
            matches = Q(*conditions, join_type="OR") if conditions else Q(id__in=[])
            queryset = queryset.filter(matches)

        controls = []
        for spec in self.filters:
            options = await spec.options(request)
            value = query.get(spec.name, spec.default)
            if value not in {option.value for option in options}:
                value = ""
            if value:
                queryset = spec.apply(queryset, value)
            controls.append(FilterControl(spec, options, value))

        sort = query.get("sort", self.default_sort)
        if sort.removeprefix("-") not in self.sortable:
            sort = self.default_sort
        descending = sort.startswith("-")
        sort_column = self.sortable[sort.removeprefix("-")]
        segments = sort_column.sort_segments
        if descending and not sort_column.fixed_segments:
            segments = segments[::-1]
        order = list(sort_column.sort)
        if descending:
            order = [_flip(name) for name in order]
        order.append("-id" if descending else "id")  # a total order keeps pages stable
        queryset = queryset.order_by(*order)
        ordered = queryset
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)

        columns = tuple(c for c in self.columns if personal_ok or not c.personal)
        return Listing(
            spec=self,
            request=request,
            queryset=queryset,
            ordered=ordered,
            order=tuple(order),
            segments=tuple(segments),
            inputs=inputs,
            search=search,
            sort=sort,
            filters=controls,
            columns=columns,
        )


def _flip(name: str) -> str:
    return name[1:] if name.startswith("-") else f"-{name}"


@dataclass(frozen=True)
class FilterControl:
    spec: Filter
    options: list[Option]
    value: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return self.spec.label


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    size: int
    total: int

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count

    def numbers(self, radius: int = 2) -> list[int | None]:
        """Page numbers to link: first, last and those near the current one; None is a gap."""
        shown = sorted({1, self.page_count, *range(self.number - radius, self.number + radius + 1)})
        result: list[int | None] = []
        for number in (n for n in shown if 1 <= n <= self.page_count):
            if result and number - result[-1] > 1:
                result.append(None)
            result.append(number)
        return result


@dataclass
class Listing:
    """A list spec bound to one request: what to show, and links that keep the current view."""

    spec: ListSpec
    request: web.Request
    queryset: QuerySet  # filtered, sorted, with related records for display
    ordered: QuerySet  # the same rows and order, without related records (for ids)
    order: tuple[str, ...]  # the ORDER BY fields of both
    segments: tuple[Mapping[str, object], ...]  # the sort column's segments, in this order
    inputs: tuple[Input, ...]
    search: str
    sort: str
    filters: list[FilterControl]
    columns: tuple[Column, ...]
    _gettext: Callable[[str], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._gettext = gettext_of(self.request)

    @cached_property
    def table_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.in_table)

    @cached_property
    def export_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.in_export)

    @cached_property
    def table_labels(self) -> tuple[str, ...]:
        """The table columns' headings, translated once per page."""
        return tuple(self._gettext(column.label) for column in self.table_columns)

    def cells(self, item: Any) -> list[Cell]:
        """Each table column of ``item``'s row. One call per row from the template rather
        than several per cell."""
        return [Cell(column.key, label, self.display(column, item),
                     column.href(item) if column.href else None)
                for column, label in zip(self.table_columns, self.table_labels, strict=True)]

    @property
    def visible_inputs(self) -> tuple[Input, ...]:
        """The inputs the user fills in (the others carry the view's fixed parameters)."""
        return tuple(i for i in self.inputs if i.type != "hidden")

    @property
    def hidden_inputs(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.type == "hidden")

    @property
    def filters_in_use(self) -> int:
        """Filters and inputs set to something other than their default (the search aside)."""
        return (sum(c.value != c.spec.default for c in self.filters)
                + sum(bool(i.value) for i in self.visible_inputs))

    @property
    def is_filtered(self) -> bool:
        return bool(self.search) or self.filters_in_use > 0

    def _params(self, **changes: str | int) -> dict[str, str]:
        params = {"q": self.search, "sort": self.sort}
        for control in self.filters:
            params[control.name] = control.value
        for field_input in self.inputs:
            params[field_input.name] = field_input.value
        params.update({key: str(value) for key, value in changes.items()})
        defaults = {"q": "", "sort": self.spec.default_sort, "page": "1"}
        defaults.update({f.name: f.default for f in self.spec.filters})
        # An empty value is kept when it differs from the default ("all" instead of "pending").
        return {key: value for key, value in params.items() if value != defaults.get(key, "")}

    def url(self, **changes: str | int) -> str:
        return str(self.request.rel_url.with_query(self._params(**changes)))

    def sort_url(self, key: str) -> str:
        """Sort by ``key``; a second click on the current key reverses the order."""
        return self.url(sort=f"-{key}" if self.sort == key else key, page=1)

    def sort_direction(self, key: str) -> str | None:
        if self.sort.removeprefix("-") != key:
            return None
        return "descending" if self.sort.startswith("-") else "ascending"

    @property
    def export_url(self) -> str:
        route = self.request.app.router[f"{self.spec.name}.export"]
        return str(route.url_for().with_query(self._params()))

    @property
    def reset_url(self) -> str:
        return self.request.path

    async def page(self) -> Page:
        size = self.spec.page_size
        number = max(int_or_none(self.request.query.get("page")) or 1, 1)
        if number == 1:
            # A first page with room to spare holds the whole view: no need to count it.
            items = await self._slice(0, size)
            total = len(items) if len(items) < size else await self.queryset.count()
        else:
            total = await self.queryset.count()
            number = min(number, max(1, math.ceil(total / size)))
            items = await self._slice((number - 1) * size, size)
        if self.spec.decorate is not None:
            await self.spec.decorate(items)
        return Page(items=items, number=number, size=size, total=total)

    def display(self, column: Column, item: Any) -> str:
        value = self._value(column, item)
        if isinstance(value, datetime):
            return localtime(value, self.request.app[SETTINGS].tz)
        return "" if value is None else str(value)

    def _value(self, column: Column, item: Any) -> object:
        value = column.value(item)
        if value is None:
            return None
        if column.translate:
            return self._gettext(value)
        if isinstance(value, bool):
            return self._gettext(N_("Yes") if value else N_("No"))
        return value

    async def _slice(self, offset: int, size: int) -> list:
        if not self.segments:
            return await self._read({}, offset, size)
        items: list = []
        last = len(self.segments) - 1
        for index, segment in enumerate(self.segments):
            if len(items) >= size:
                break
            # Skipping rows needs the segment's count (the last segment needs none: it is what
            # remains); reading from its start does not: a short read means it is used up.
            if index < last and offset:
                count = await self.ordered.filter(**segment).count()
                if offset >= count:
                    offset -= count
                    continue
            items += await self._read(segment, offset, size - len(items))
            offset = 0
        return items

    async def _read(self, segment: Mapping[str, object], offset: int, limit: int) -> list:
        """Rows ``offset`` to ``offset + limit`` of the view (or of one sort segment): records
        of the ``page_fields``, else model instances with their related records."""
        if not self.spec.page_fields:
            return await self._instances(segment, offset, limit)
        paths = self._paths(self.spec.page_fields)
        build = _record_builder(paths)
        rows = await self.ordered.filter(**segment).offset(offset).limit(limit).values(*paths)
        return [build(tuple(row[path] for path in paths)) for row in rows]

    async def _instances(self, segment: Mapping[str, object], offset: int, limit: int) -> list:
        return list(await self.queryset.filter(**segment).offset(offset).limit(limit))

    @staticmethod
    def _paths(fields: tuple[str, ...]) -> tuple[str, ...]:
        """``id`` and ``fields``, each once (the sort needs no column of its own: list
        queries are never DISTINCT)."""
        return tuple(dict.fromkeys(("id", *fields)))

    async def ids(self) -> list[int]:
        """Every id of the current view, in its order (each once, whatever the joins)."""
        parts = [self.ordered.filter(**segment) for segment in self.segments] or [self.ordered]
        # The ids alone, as plain ints: 100k rows of the sort fields as dicts took 60 MB.
        ids = [row_id for part in parts for row_id in await part.values_list("id", flat=True)]
        return list(dict.fromkeys(ids))

    async def items(self, chunk: int | None = None) -> AsyncIterator[Any]:
        """The records of the current view, fetched ``chunk`` at a time by id."""
        chunk = chunk or CHUNK_ROWS
        ids = await self.ids()
        for start in range(0, len(ids), chunk):
            chunk_ids = ids[start:start + chunk]
            items = _in_order(await self.queryset.filter(id__in=IdList(chunk_ids)), chunk_ids)
            if self.spec.decorate is not None:
                await self.spec.decorate(items)
            for item in items:
                yield item

    async def records(self, chunk: int | None = None) -> AsyncIterator[Any]:
        """The current view as light records built from ``values()`` rows, ``chunk`` at a time."""
        chunk = chunk or CHUNK_ROWS
        paths = self._paths(self.spec.export_fields)
        as_tuple = itemgetter(*paths)  # values() and a getter: faster here than values_list()
        build = _record_builder(paths)
        decorate = self.spec.export_decorate or self.spec.decorate
        ids = await self.ids()
        for start in range(0, len(ids), chunk):
            chunk_ids = ids[start:start + chunk]
            found = await self.ordered.filter(id__in=IdList(chunk_ids)).values(*paths)  # see ids()
            rows = _in_order(list(map(as_tuple, found)), chunk_ids, key=itemgetter(0))
            seen: set = set()
            records = []
            for row in rows:  # a join may repeat a row: keep its first appearance (id is first)
                if row[0] not in seen:
                    seen.add(row[0])
                    records.append(build(row))
            if decorate is not None:
                await decorate(records)
            for record in records:
                yield record

    async def _rows(self) -> AsyncIterator[list[object]]:
        """The export's rows: the values ``display`` shows, translated where the column says
        so; datetimes and booleans go as they are (the writer puts them in local time and
        words, see ``admin.excel``)."""
        source = self.records() if self.spec.export_fields else self.items()
        values = [self._translated(column.value) if column.translate else column.value
                  for column in self.export_columns]
        async for item in source:
            yield [value_of(item) for value_of in values]

    def _translated(self, value_of: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """``value_of`` translated, each text looked up once per export."""
        translations: dict[str, str] = {}

        def translated(item: Any) -> Any:
            value = value_of(item)
            if value is None:
                return None
            if (text := translations.get(value)) is None:
                text = translations[value] = self._gettext(value)
            return text

        return translated

    async def export(self) -> web.StreamResponse:
        """The whole current view (every page) as an .xlsx download."""
        today = datetime.now(self.request.app[SETTINGS].tz).strftime("%Y%m%d")
        header = [self._gettext(column.label) for column in self.export_columns]
        return await xlsx_response(
            self.request, f"{self.spec.name}-{today}.xlsx", header, self._rows()
        )


def _in_order(records: list, ids: list[int], key: Callable[[Any], int] = lambda r: r.id) -> list:
    """``records`` in the order of ``ids`` (a segmented sort's order is the ids' order; a
    repeated record keeps its place)."""
    position = {record_id: index for index, record_id in enumerate(ids)}
    return sorted(records, key=lambda record: position[key(record)])


def _record_builder(paths: tuple[str, ...]) -> Callable[[Sequence[Any]], SimpleNamespace]:
    """Turn a ``values_list()`` row of ``paths`` into nested records: ``branch__name`` → ``r.branch.name``.

    The nesting is worked out once; each row then costs one ``SimpleNamespace`` per relation.
    A relation whose ``id`` is null (a LEFT JOIN found nothing) becomes None.
    """
    tree: dict = {}
    for index, path in enumerate(paths):
        *parents, leaf = path.split("__")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = index

    def compile_node(node: dict, top: bool) -> Callable[[Sequence[Any]], SimpleNamespace | None]:
        leaves = [(key, value) for key, value in node.items() if isinstance(value, int)]
        children = [(key, compile_node(value, False)) for key, value in node.items()
                    if isinstance(value, dict)]
        id_index = None if top else node.get("id")

        def build(row: Sequence[Any]) -> SimpleNamespace | None:
            if id_index is not None and row[id_index] is None:
                return None
            record = SimpleNamespace(**{key: row[index] for key, index in leaves})
            for key, child in children:
                setattr(record, key, child(row))
            return record

        return build

    return compile_node(tree, True)
