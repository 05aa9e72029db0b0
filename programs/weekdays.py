"""Weekdays as a 7-bit mask (Monday = bit 0 ... Sunday = bit 6), as Python's weekday()."""

from django.db.models import F, Q
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

ALL_DAYS = 0b1111111
DAY_NAMES = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]
DAY_SHORT_NAMES = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
CHOICES = [(str(i), name) for i, name in enumerate(DAY_NAMES)]


def to_mask(days: list[int | str]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << int(day)
    return mask


def from_mask(mask: int) -> list[int]:
    return [day for day in range(7) if mask & (1 << day)]


def includes(mask: int, weekday: int) -> bool:
    """Whether ``weekday`` (0 = Monday) is one of the mask's days. ``included`` is the same
    test in the database."""
    return bool(mask & (1 << weekday))


def included(field: str, weekday: int) -> Q:
    """Rows whose mask in ``field`` includes ``weekday``: a bitwise AND in the database."""
    return Q(GreaterThan(F(field).bitand(1 << weekday), 0))


def describe(mask: int) -> str:
    """'every day', 'Mon, Wed, Fri', ..."""
    if mask == ALL_DAYS:
        return str(_("every day"))
    if mask == 0b0011111:
        return str(_("on weekdays"))
    return ", ".join(str(DAY_SHORT_NAMES[d]) for d in from_mask(mask))
