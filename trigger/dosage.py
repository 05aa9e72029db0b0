"""A dosage in plain words: "3 sets of 15, twice a day", "hold 30 seconds, repeat 3 times".

Shared by the library pages and the program builder, so one dosage always reads the same.
Every phrase goes through gettext/ngettext: translators get whole phrases with their
numbers, never words glued together in English order.
"""

from __future__ import annotations

from django.utils.translation import gettext, ngettext, pgettext

EVERY_DAY = 7


def _number(name: str, value: int | None) -> int | None:
    """None and 0 mean "not set" (a zero dosage says nothing); negatives are a bug."""
    if value is None:
        return None
    if value < 0:
        raise ValueError(f"{name} cannot be negative: {value}")
    return value or None


def duration_in_words(seconds: int) -> str:
    """'30 seconds', '1 second', '2 minutes' (whole minutes only), '90 seconds'."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}


def _volume(sets: int | None, reps: int | None) -> str:
    if sets and reps:
        return ngettext("%(sets)d set of %(reps)d", "%(sets)d sets of %(reps)d", sets) % {
            "sets": sets,
            "reps": reps,
        }
    if sets:
        return ngettext("%(count)d set", "%(count)d sets", sets) % {"count": sets}
    if reps == 1:
        # "repeat 1 time" would read as doing it twice.
        return gettext("one repetition")
    if reps:
        return ngettext("repeat %(count)d time", "repeat %(count)d times", reps) % {"count": reps}
    return ""


def _hold(seconds: int) -> str:
    return gettext("hold %(duration)s") % {"duration": duration_in_words(seconds)}


def _rest(seconds: int, *, sets: int | None, reps: int | None) -> str:
    duration = duration_in_words(seconds)
    if sets and sets > 1:
        return gettext("rest %(duration)s between sets") % {"duration": duration}
    if reps and reps > 1:
        return gettext("rest %(duration)s between repetitions") % {"duration": duration}
    return gettext("rest %(duration)s") % {"duration": duration}


def _times_per_day(times: int) -> str:
    if times == 1:
        return gettext("once a day")
    if times == 2:
        return gettext("twice a day")
    return ngettext("%(count)d time a day", "%(count)d times a day", times) % {"count": times}


def _days_per_week(days: int) -> str:
    if days >= EVERY_DAY:
        return gettext("every day")
    return ngettext("%(count)d day a week", "%(count)d days a week", days) % {"count": days}


def dosage_in_words(
    *,
    sets: int | None,
    reps: int | None,
    hold_seconds: int | None,
    rest_seconds: int | None,
    times_per_day: int | None,
    days_per_week: int | None,
) -> str:
    """The dosage as one lower-case phrase, or "" when nothing is set.

    >>> dosage_in_words(sets=3, reps=15, hold_seconds=None, rest_seconds=None,
    ...                 times_per_day=2, days_per_week=None)
    '3 sets of 15, twice a day'

    With sets, the volume comes first and a hold applies to each repetition
    ("3 sets of 10, hold 5 seconds"); without sets, the hold comes first and the
    repetitions repeat it ("hold 30 seconds, repeat 3 times").
    """
    sets = _number("sets", sets)
    reps = _number("reps", reps)
    hold = _number("hold_seconds", hold_seconds)
    rest = _number("rest_seconds", rest_seconds)
    times = _number("times_per_day", times_per_day)
    days = _number("days_per_week", days_per_week)

    volume = _volume(sets, reps)
    if sets:
        parts = [volume, _hold(hold) if hold else ""]
    else:
        parts = [_hold(hold) if hold else "", volume]
    parts += [
        _rest(rest, sets=sets, reps=reps) if rest else "",
        _times_per_day(times) if times else "",
        _days_per_week(days) if days else "",
    ]
    separator = pgettext("between the phrases of a dosage", ", ")
    return separator.join(part for part in parts if part)
