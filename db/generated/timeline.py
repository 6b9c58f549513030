"""The generator's clock: every timestamp is whole seconds since the Unix epoch, in UTC.

All times are placed relative to `now`, midnight UTC of the --now date, so a seed and a date
give the same rows on any day the generator runs.
"""

import datetime as dt
from dataclasses import dataclass

MINUTE = 60
HOUR = 3_600
DAY = 86_400
HISTORY_DAYS = 730  # how far back the marketplace's history reaches
NO_TIME = -1  # stands for NULL in optional time columns


@dataclass(frozen=True)
class Timeline:
    """The moment the generated history ends, and where it starts."""

    now: int

    @classmethod
    def ending_on(cls, day: dt.date) -> "Timeline":
        """The history that ends at midnight UTC at the start of `day`."""
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        return cls(int(midnight.timestamp()))

    @property
    def start(self) -> int:
        """When the oldest activity happens (two years before now)."""
        return self.now - HISTORY_DAYS * DAY

    def days_ago(self, days: float) -> int:
        """The second `days` days before now."""
        return self.now - int(days * DAY)
