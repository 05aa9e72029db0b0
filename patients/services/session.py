"""The guided session: today's exercises one at a time, in the patient's order.

A session is no record of its own: each exercise is logged with
``logs.exercise_log_record`` exactly as from Today, so a session left half-way keeps what
was logged, and Today and the session always agree.
"""

from __future__ import annotations

import datetime

from ..models import Patient
from .logs import PlannedItem, exercise_day_plan


def session_exercises(*, patient: Patient, day: datetime.date) -> list[PlannedItem]:
    """Every exercise due on ``day`` (advice never is), in the order of Today."""
    return exercise_day_plan(patient=patient, day=day).items


def session_next(
    *, exercises: list[PlannedItem], after_item_id: int | None = None
) -> PlannedItem | None:
    """The first exercise with a session still open, after ``after_item_id`` when given
    (an exercise done or skipped moves the session on, never back)."""
    start = 0
    if after_item_id is not None:
        ids = [planned.item.pk for planned in exercises]
        start = ids.index(after_item_id) + 1 if after_item_id in ids else 0
    return next((p for p in exercises[start:] if not p.is_complete), None)
