"""Reading list filters from the query string: a bad value is dropped with a note, never a 500."""

from datetime import date


def read_dates(args, names=("date_from", "date_to")) -> tuple[dict[str, date], list[str]]:
    """The ISO dates among `names` that parse, and a note for each one that does not."""
    dates: dict[str, date] = {}
    problems = []
    for name in names:
        raw = (args.get(name) or "").strip()
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"Ignored the date {raw[:20]!r}: use the form YYYY-MM-DD.")
    return dates, problems
