"""Template helpers for the library pages: ``{% load library %}``."""

from django import template

from trigger.dosage import dosage_in_words
from trigger.models import ModuleItem

register = template.Library()


@register.filter
def dosage_words(item: ModuleItem) -> str:
    """A module item's dosage in words ("hold 30 seconds, repeat 3 times, twice a day").

    Returns a plain string, so the template escapes it like any other text.
    """
    return dosage_in_words(
        sets=item.sets,
        reps=item.reps,
        hold_seconds=item.hold_seconds,
        rest_seconds=item.rest_seconds,
        times_per_day=item.times_per_day,
        days_per_week=item.days_per_week,
    )


@register.filter
def item_heading(item: ModuleItem) -> str:
    """The item's name when it adds something to its statement, else "".

    A bullet without a label is named after its own text ("Wear supportive shoes ...");
    printing "Name: statement" would then say everything twice.
    """
    name = item.name.strip()
    statement = item.text.strip().rstrip(".").strip()
    max_length = ModuleItem._meta.get_field("name").max_length
    # The loader cuts a long statement to the field's length to name it.
    truncated = len(item.name) >= max_length and statement.startswith(name)
    if not name or name == statement or truncated:
        return ""
    return name
