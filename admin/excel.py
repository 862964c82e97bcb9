"""Excel downloads: workbooks written by a child process from rows fed chunk by chunk, then
streamed.

The one API every export uses::

    return await xlsx_response(request, "members-20260504.xlsx", header, rows)

``rows`` is an iterable or an *async* iterable of row sequences (plain values: str, int,
float, Decimal, bool, date, datetime, None). A response writes a datetime with a time zone
as the wall-clock time in the panel's ``TIMEZONE`` (Excel has none), to the second, and a
boolean as the reader's word for yes or no; the writer does both, so the panel's loop over
every cell of 100k rows does not (about a fifth of an export's time in the panel, by a
profile). Rows are consumed lazily in chunks of :data:`CHUNK_ROWS` and sent, pickled, to
``python -m admin.xlsx_writer``, which streams each worksheet into the file as rows arrive,
so memory stays flat whatever the row count; the finished file is streamed to the browser in
64 KiB pieces and deleted. For a database list, feed rows from a generator that fetches the
rows chunk by chunk (see ``admin.listing``).

Why a process: turning 100k rows into worksheet XML is about 1.5 s of pure Python (with
openpyxl, which the writer used before, about 10 s). In a thread of the panel that held the
GIL against the event loop, and every other secretary's page took about 20 times as long
(p50 9 → 210 ms, 100k rows) until the export was done. In its own process it uses the
second core, overlapping the database reads; the event loop only reads and pickles rows,
and hands over between rows of a chunk (:data:`YIELD_EVERY`). At most :data:`WRITERS`
writers run at once (one core is left to the panel and the bot); further exports wait for
a writer to finish.

Several sheets (e.g. a report with one sheet per unit) go through :func:`xlsx_sheets_response`
with :class:`Sheet` objects; :func:`write_xlsx` writes the same to a file for jobs that
store or send a workbook instead of answering a request.
"""

from __future__ import annotations

import asyncio
import copyreg
import io
import os
import pickle
import sys
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from aiohttp import web
from tortoise.timezone import ZoneInfo as TortoiseZoneInfo

from admin.i18n import gettext_of
from admin.keys import SETTINGS
from locales import N_

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 2000  # rows per message to the writer process
YIELD_EVERY = 100  # rows taken from a lazy source between turns given to other requests
# Writer processes at once; more exports wait their turn. Each keeps a core busy for as long
# as it writes: one core is left to the panel and the bot.
WRITERS = max(1, (os.cpu_count() or 1) - 1)
_SEND_CHUNK = 64 * 1024

Row = Sequence[object]
Rows = AsyncIterable[Row] | Iterable[Row]


def _writer_env() -> dict[str, str]:
    """The environment, with this very ``admin`` package first on the writer's import path
    (whether it is installed or run from a checkout)."""
    here = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


class WorkbookError(RuntimeError):
    """The writer process failed; the message holds its traceback."""


@dataclass(frozen=True)
class Local:
    """Values Excel has no form for, as a reader here expects them: datetimes with a time
    zone in ``zone``'s wall-clock time (an IANA name), booleans as ``yes`` / ``no``."""

    zone: str
    yes: str
    no: str

    @classmethod
    def of(cls, request: web.Request) -> Local:
        gettext = gettext_of(request)
        return cls(request.app[SETTINGS].timezone, gettext(N_("Yes")), gettext(N_("No")))


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (None: Excel's default), a header row and the rows (lazy or not)."""

    header: Row
    rows: Rows
    title: str | None = None


async def _each(rows: Rows) -> AsyncIterator[Row]:
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            yield row
    else:
        for row in rows:
            yield row


async def _chunks(rows: Rows, size: int) -> AsyncIterator[list[Row]]:
    chunk: list[Row] = []
    async for row in _each(rows):
        chunk.append(row)
        if len(chunk) % YIELD_EVERY == 0:
            # Building rows from a fetched chunk never suspends: let waiting requests in.
            await asyncio.sleep(0)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Tortoise zones the datetimes it reads with its own subclass of ZoneInfo. Pickled as that, it
# made the writer import Tortoise to read them (an import of about 0.2 s; the writer's peak
# memory 16 MB higher): send the standard library's zone of the same name.
_PICKLE_REDUCERS = {**copyreg.dispatch_table,
                    TortoiseZoneInfo: lambda zone: (ZoneInfo, (zone.key,))}


def _pickled(message: tuple) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _PICKLE_REDUCERS
    pickler.dump(message)
    return buffer.getvalue()


async def _send(writer: asyncio.subprocess.Process, message: tuple) -> None:
    assert writer.stdin is not None
    writer.stdin.write(_pickled(message))
    await writer.stdin.drain()  # the pipe's buffer is the backlog: a slow writer slows the reads


_writer_slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


def _slots() -> asyncio.Semaphore:
    """The running event loop's :data:`WRITERS` slots (a semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    if (slots := _writer_slots.get(loop)) is None:
        slots = _writer_slots[loop] = asyncio.Semaphore(WRITERS)
    return slots


async def write_xlsx(sheets: Sequence[Sheet], path: str | os.PathLike, local: Local | None = None) -> None:
    """Write ``sheets`` to an .xlsx file at ``path``, consuming rows chunk by chunk (without
    ``local``, a datetime with a time zone is refused and a boolean is Excel's TRUE/FALSE)."""
    async with _slots():
        await _write(sheets, os.path.abspath(path), local)


async def _write(sheets: Sequence[Sheet], path: str, local: Local | None) -> None:
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "admin.xlsx_writer", path,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env=_writer_env(),
    )
    assert writer.stdin is not None and writer.stderr is not None
    # Read as it comes: a writer blocked on a full stderr pipe would never read its input.
    errors = asyncio.create_task(writer.stderr.read())
    try:
        try:
            if local is not None:
                await _send(writer, ("local", local.zone, local.yes, local.no))
            for spec in sheets:
                await _send(writer, ("sheet", spec.title, list(spec.header)))
                async for chunk in _chunks(spec.rows, CHUNK_ROWS):
                    await _send(writer, ("rows", chunk))
            await _send(writer, ("save",))
            writer.stdin.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the writer died: its traceback says why
        if await writer.wait() != 0:
            message = (await errors).decode(errors="replace").strip()
            raise WorkbookError(message or f"exit {writer.returncode}")
    finally:
        if writer.returncode is None:  # cancelled (the browser went away) or a row source failed
            writer.kill()
            await writer.wait()
        if writer.returncode != 0:
            Path(path).unlink(missing_ok=True)  # a killed writer leaves what it had written
        await asyncio.gather(errors, return_exceptions=True)  # ends with the writer's stderr


async def xlsx_sheets_response(
    request: web.Request, filename: str, sheets: Sequence[Sheet]
) -> web.StreamResponse:
    """Build the workbook in a temporary file, then stream it as an attachment."""
    handle, name = tempfile.mkstemp(prefix="xianfeng-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        await write_xlsx(sheets, path, Local.of(request))
        response = web.StreamResponse(
            headers={
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Content-Length": str(path.stat().st_size),
            }
        )
        await response.prepare(request)
        with await asyncio.to_thread(path.open, "rb") as source:
            while chunk := await asyncio.to_thread(source.read, _SEND_CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        path.unlink(missing_ok=True)


async def xlsx_response(
    request: web.Request, filename: str, header: Row, rows: Rows
) -> web.StreamResponse:
    """Send ``header`` and ``rows`` as a one-sheet workbook; ``rows`` may be fetched lazily."""
    return await xlsx_sheets_response(request, filename, [Sheet(header, rows)])
