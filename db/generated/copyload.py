"""COPY text format from numpy columns, and a loader that streams it to PostgreSQL in chunks.

Formatting runs in this thread while a worker thread feeds the previous chunk to the server
(psycopg2 releases the GIL while it sends), so Python and PostgreSQL work at the same time and
only a few chunks are ever in memory.
"""

import queue
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
from psycopg2 import sql
from tqdm import tqdm

from .timeline import DAY

NULL = "\\N"
CHUNK_ROWS = 50_000
QUEUED_CHUNKS = 3
Column = Sequence[str] | np.ndarray  # one string per row
_CENTS = np.array([f".{cents:02d}" for cents in range(100)], dtype=object)


def integers(values: np.ndarray) -> list[str]:
    """Integers as text."""
    return list(map(str, values.tolist()))


def money(cents: np.ndarray) -> np.ndarray:
    """Cents as a numeric(12,2) text such as 12.34 or -0.05."""
    absolute = np.abs(cents)
    text = np.array(integers(absolute // 100), dtype=object) + _CENTS[absolute % 100]
    return np.where(cents < 0, "-" + text, text) if (cents < 0).any() else text


@cache
def _times_of_day() -> np.ndarray:
    """'HH:MM:SS+00' for every second of a day."""
    return np.array(
        [
            f" {hour:02d}:{minute:02d}:{second:02d}+00"
            for hour in range(24)
            for minute in range(60)
            for second in range(60)
        ],
        dtype=object,
    )


def timestamps(seconds: np.ndarray) -> np.ndarray:
    """Epoch seconds as timestamptz text in UTC, e.g. '2025-03-01 14:05:09+00'."""
    if len(seconds) == 0:
        return np.zeros(0, dtype=object)
    days = seconds // DAY
    first = int(days.min())
    calendar = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
    dates = np.array(np.datetime_as_string(calendar, unit="D").tolist(), dtype=object)
    return dates[days - first] + _times_of_day()[seconds % DAY]


def booleans(values: np.ndarray) -> np.ndarray:
    """Booleans as 't' / 'f'."""
    return np.where(values, "t", "f").astype(object)


def or_null(texts: Column, is_null: np.ndarray) -> np.ndarray:
    """The texts, with NULL where `is_null`."""
    return np.where(is_null, NULL, np.asarray(texts, dtype=object))


def join_rows(columns: Sequence[Column]) -> bytes:
    """Tab-separated rows, one per line, as COPY text format."""
    lists = [column.tolist() if isinstance(column, np.ndarray) else column for column in columns]
    return ("\n".join(map("\t".join, zip(*lists, strict=True))) + "\n").encode()


@dataclass(frozen=True)
class TableSource:
    """A table to load: its columns, its row count and how to format rows [start, stop)."""

    name: str
    columns: tuple[str, ...]
    rows: int
    format: Callable[[int, int], Sequence[Column]]


@dataclass(frozen=True)
class LoadResult:
    """How one table's load went."""

    table: str
    rows: int
    seconds: float


class _ChunkReader:
    """A file-like object psycopg2's copy_expert reads; each read hands over one queued chunk."""

    def __init__(self, chunks: queue.Queue, progress: tqdm) -> None:
        self.chunks = chunks
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        """The next chunk, or b'' at the end."""
        item = self.chunks.get()
        if item is None:
            return b""
        data, rows = item
        self.progress.update(rows)
        return data

    readline = read


def _hand_over(chunks: queue.Queue, item, copying: Future) -> None:
    """Queue a chunk for the COPY thread, failing fast if that thread has died."""
    while True:
        try:
            chunks.put(item, timeout=0.2)
            return
        except queue.Full:
            if copying.done():
                copying.result()  # raises the COPY's error
                raise RuntimeError("COPY finished before all rows were sent") from None


def copy_table(cursor, source: TableSource, show_progress: bool = True, freeze: bool = True) -> LoadResult:
    """COPY every row of `source` into its table, formatting chunks while the server ingests."""
    started = time.perf_counter()
    options = sql.SQL(" WITH (FREEZE)") if freeze else sql.SQL("")
    statement = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        sql.Identifier(source.name), sql.SQL(", ").join(map(sql.Identifier, source.columns)), options
    )
    chunks: queue.Queue = queue.Queue(maxsize=QUEUED_CHUNKS)
    bar = tqdm(
        total=source.rows,
        desc=f"{source.name:<22}",
        unit=" rows",
        unit_scale=True,
        file=sys.stderr,
        disable=not show_progress,
        leave=True,
        dynamic_ncols=True,
    )
    with bar, ThreadPoolExecutor(max_workers=1) as worker:
        copying = worker.submit(cursor.copy_expert, statement, _ChunkReader(chunks, bar), 1 << 20)
        for start in range(0, source.rows, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, source.rows)
            _hand_over(chunks, (join_rows(source.format(start, stop)), stop - start), copying)
        _hand_over(chunks, None, copying)
        copying.result()
    return LoadResult(source.name, source.rows, time.perf_counter() - started)
