"""The patient's handout: their program on one or two printed pages, to keep.

Shown to the clinician at /clinic/assignments/<id>/print/ and to the patient at
/me/handout/ (their current program). Dates are written the way the patient reads them
(``HANDOUT_LANGUAGE``'s formats: 2 Dec 2026).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from ..models import Assignment, AssignmentItem, Patient
from .hold import hold_contact

# Django's en-GB formats write dates day first ("2 Dec 2026"): the language whose date
# formats the handout uses, whatever the site's LANGUAGE_CODE ("en", whose DATE_FORMAT
# gives "Dec. 2, 2026").
HANDOUT_LANGUAGE = "en-gb"


@dataclass
class Handout:
    assignment: Assignment
    patient: Patient
    contact: dict
    exercises: list[AssignmentItem] = field(default_factory=list)
    tips: list[AssignmentItem] = field(default_factory=list)


def is_tip(item: AssignmentItem) -> bool:
    """Advice to keep in mind (footwear, posture), not an exercise to do."""
    return item.is_advice


def handout_for(*, assignment: Assignment) -> Handout:
    """The program's exercises and tips, in the program's order, with whom to contact."""
    patient = assignment.patient
    items = list(assignment.items.select_related("library_item").order_by("order", "id"))
    return Handout(
        assignment=assignment,
        patient=patient,
        contact=hold_contact(patient),
        exercises=[item for item in items if not is_tip(item)],
        tips=[item for item in items if is_tip(item)],
    )


def patient_handout_assignment(*, patient: Patient, day: datetime.date) -> Assignment | None:
    """The program the patient's handout is about: today's, else the latest not ended."""

    return patient.assignments.latest_current_on(day) or (
        patient.assignments.exclude(status=Assignment.Status.ENDED)
        .order_by("-starts_on", "-id")
        .first()
    )
