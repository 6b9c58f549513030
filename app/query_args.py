"""Reading list filters from the query string: a bad value is dropped with a note, never a 500."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.inputs import InvalidInput, parse_date
from app.templating import user_time_zone

# What each filter is called in the note about it.
DATE_LABELS = {"date_from": "from", "date_to": "to"}


def read_dates(args, names=("date_from", "date_to")) -> tuple[dict[str, date], list[str]]:
    """The dates among `names` that parse (see inputs.parse_date), and a note for each one that does not."""
    dates: dict[str, date] = {}
    problems = []
    for name in names:
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                dates[name] = parse_date(raw, DATE_LABELS.get(name, name))
            except InvalidInput as problem:
                problems.append(f"Ignored the date {raw[:20]!r}: {problem}")
    return dates, problems


def local_day_bounds(date_from: date | None, date_to: date | None, time_zone: ZoneInfo | None = None) -> dict:
    """Bound parameters for `moment >= :starts_at` and `moment < :ends_at`: the instants (UTC) the
    from-day begins and the to-day ends in `time_zone`, by default the signed-in user's, the zone
    the pages show times in. Only the dates given have their parameter."""
    zone = time_zone or user_time_zone()
    bounds = {}
    if date_from:
        bounds["starts_at"] = _local_midnight(date_from, zone)
    if date_to:
        bounds["ends_at"] = _local_midnight(date_to + timedelta(days=1), zone)
    return bounds


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins in `zone`, in UTC (where midnight is skipped by a clock change, the first
    moment that exists)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)
