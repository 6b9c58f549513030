"""Tables of aggregate numbers, and the charts, CSV files and JSON drawn from them.

One `Table` feeds the page's table, its chart, its "Download CSV" and the JSON API, so all four
show the same numbers by construction.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.templating import money

# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Colours that stay distinguishable for common colour-vision deficiencies (Okabe–Ito), then greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")


@dataclass(frozen=True)
class Column:
    """One column: its key in JSON, its title on the page and in CSV, and the kind of value.

    Kinds: text, id, money, count, average, percent, and day, week, month, year (a period's start).
    """

    key: str
    title: str
    kind: str = "text"
    link: str | None = None  # a page for the cell, "/users/{}" filled with the row's id (its first column)


@dataclass(frozen=True)
class Table:
    caption: str
    columns: tuple[Column, ...]
    rows: list[tuple] = field(default_factory=list)
    empty: str = "Nothing in this period."  # what the page says when there are no rows

    def column(self, key: str) -> int:
        return next(index for index, column in enumerate(self.columns) if column.key == key)

    def visible_columns(self) -> list[tuple[int, Column]]:
        """The columns a person reads (ids are for the JSON)."""
        return [(index, column) for index, column in enumerate(self.columns) if column.kind != "id"]


def period_label(start: date, unit: str) -> str:
    """A bucket as people read it: "Mar 3, 2025", "Week of Mar 3, 2025", "Mar 2025", "2025"."""
    if unit == "year":
        return str(start.year)
    if unit == "month":
        return start.strftime("%b %Y")
    day = f"{start.strftime('%b')} {start.day}, {start.year}"
    return f"Week of {day}" if unit == "week" else day


def period_value(start: date, unit: str) -> str:
    """A bucket as CSV and JSON give it: 2025-03-03 (day, week), 2025-03 (month), 2025 (year)."""
    if unit == "year":
        return f"{start.year:04d}"
    if unit == "month":
        return f"{start.year:04d}-{start.month:02d}"
    return start.isoformat()


def display(value, kind: str) -> str:
    """A cell as the page shows it."""
    if value is None:
        return "—"
    if kind == "money":
        return money(value)
    if kind == "count":
        return f"{value:,}"
    if kind == "average":
        return f"{value:.2f}"
    if kind == "percent":
        return f"{value:+.1f}%"
    if kind in ("day", "week", "month", "year"):
        return period_label(value, kind)
    return str(value)


def plain(value, kind: str):
    """A cell as JSON gives it: money as an exact decimal string, counts as numbers, periods as ISO text."""
    if value is None:
        return None
    if kind in ("money", "average", "percent"):
        return f"{Decimal(value):.2f}"
    if kind in ("count", "id"):
        return int(value)
    if kind in ("day", "week", "month", "year"):
        return period_value(value, kind)
    return str(value)


def safe_cell(text: str) -> str:
    """Text a spreadsheet will show, not run: a leading formula character is quoted away."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_records(table: Table) -> list[dict]:
    """The rows as JSON objects keyed by column."""
    return [
        {column.key: plain(row[index], column.kind) for index, column in enumerate(table.columns)} for row in table.rows
    ]


def to_csv(table: Table) -> str:
    """The table as CSV: the page's columns with plain values, text cells guarded against formulas."""
    columns = table.visible_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.title for _, column in columns])
    for row in table.rows:
        cells = []
        for index, column in columns:
            value = plain(row[index], column.kind)
            cells.append(safe_cell(value) if column.kind == "text" and value is not None else value)
        writer.writerow(cells)
    return buffer.getvalue()


def number(value) -> float:
    """A value as Chart.js draws it (display only: tables and CSV keep the exact decimal)."""
    return float(value or 0)


PERIODS = ("day", "week", "month", "year")


def time_axis(starts: list[date], unit: str) -> dict:
    """What charts.js needs to put periods on a real time axis: each period's first day (ISO) and the unit."""
    return {"time_unit": unit, "times": [start.isoformat() for start in starts]}


def chart(table: Table, kind: str, label_key: str, value_keys: tuple[str, ...], title: str, **options) -> dict:
    """A chart (bar, line or doughnut) of one label column against one or more value columns;
    periods (days to years) go on a time axis."""
    label = table.column(label_key)
    values = [table.column(key) for key in value_keys]
    kinds = {table.columns[index].kind for index in values}
    label_kind = table.columns[label].kind
    timed = time_axis([row[label] for row in table.rows], label_kind) if label_kind in PERIODS else {}
    return (
        {
            "type": kind,
            "title": title,
            "labels": [display(row[label], table.columns[label].kind) for row in table.rows],
            "datasets": [
                {
                    "label": table.columns[index].title,
                    "data": [number(row[index]) for row in table.rows],
                    "colour": list(PALETTE) if kind == "doughnut" else PALETTE[position],
                }
                for position, index in enumerate(values)
            ],
            "money": kinds == {"money"},
            "whole": kinds == {"count"},
        }
        | timed
        | options
    )


def pivot_chart(
    table: Table, periods: list[date], kind: str, series_key: str, period_key: str, value_key: str, title: str
) -> dict:
    """A chart with one series per value of `series_key` over every period (stacked bars or lines);
    a period in which a series sold nothing is a zero, not a gap."""
    period_kind = table.columns[table.column(period_key)].kind
    timed = time_axis(periods, period_kind) if period_kind in PERIODS else {}
    series: dict[str, dict] = {}
    for row in table.rows:
        values = series.setdefault(row[table.column(series_key)], {})
        values[row[table.column(period_key)]] = number(row[table.column(value_key)])
    return {
        "type": kind,
        "title": title,
        "stacked": kind == "bar",
        "labels": [display(period, period_kind) for period in periods],
        "datasets": [
            {
                "label": name,
                "data": [values.get(period, 0.0) for period in periods],
                "colour": PALETTE[index % len(PALETTE)],
            }
            for index, (name, values) in enumerate(series.items())
        ],
        "money": table.columns[table.column(value_key)].kind == "money",
        "whole": table.columns[table.column(value_key)].kind == "count",
    } | timed
