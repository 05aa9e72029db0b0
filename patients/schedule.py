"""Reminder schedule arithmetic: local wall-clock times in the patient's zone -> UTC.

08:00 local stays 08:00 local across daylight-saving changes. A local time that does not
exist on a transition day (the clocks jump over it) is sent at the next valid minute; a
time that exists twice (the clocks go back) is sent once, at its first occurrence.
"""

from __future__ import annotations

import datetime
import zoneinfo

from programs import weekdays as weekday_mask

UTC = datetime.UTC
_MAX_GAP_MINUTES = 24 * 60  # no zone skips more than a day of wall-clock time


def _exists(naive: datetime.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def local_to_utc(naive: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The UTC instant of a local wall-clock time: the first if it is ambiguous, the next
    valid minute if it falls in a gap."""
    candidate = naive
    for _ in range(_MAX_GAP_MINUTES):
        if _exists(candidate, zone):
            return candidate.replace(tzinfo=zone, fold=0).astimezone(UTC)
        candidate += datetime.timedelta(minutes=1)
    raise ValueError(f"no valid local time after {naive} in {zone}")


def next_occurrence(
    *,
    local_time: datetime.time,
    days: int,
    zone: str | zoneinfo.ZoneInfo,
    after: datetime.datetime,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> datetime.datetime | None:
    """The first UTC instant strictly after ``after`` at ``local_time`` on one of ``days``
    (a weekday mask) in ``zone``, within [starts_on, ends_on] (local dates).

    None when the schedule has no occurrence left (past its end, or no weekday set).
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    if not days:
        return None
    tz = zone if isinstance(zone, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo(str(zone))
    day = after.astimezone(tz).date()
    if starts_on is not None and day < starts_on:
        day = starts_on
    # A week and a day covers every weekday mask, from the day of `after` itself.
    for offset in range(8):
        candidate = day + datetime.timedelta(days=offset)
        if ends_on is not None and candidate > ends_on:
            return None
        if not weekday_mask.includes(days, candidate.weekday()):
            continue
        instant = local_to_utc(datetime.datetime.combine(candidate, local_time), tz)
        if instant > after:
            return instant
    return None
