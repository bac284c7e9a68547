"""The one working-day calendar: weekends and configured holidays are off, adjusted weekend days (调休) work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_text(cls, holidays: str = "", extra_working_days: str = "") -> WorkingCalendar:
        def dates(text: str) -> frozenset[date]:
            return frozenset(date.fromisoformat(d.strip()) for d in text.split(",") if d.strip())

        return cls(dates(holidays), dates(extra_working_days))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself does not count)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`; 0 when end is not after start."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


# Working days are counted on China Standard Time dates, while every stored time is UTC.
BUSINESS_TIMEZONE = timezone(timedelta(hours=8))


def business_date(moment: datetime) -> date:
    """The date in the operators' time zone of a timezone-aware UTC moment."""
    return moment.astimezone(BUSINESS_TIMEZONE).date()
