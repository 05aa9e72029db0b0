"""A person under care: the record, their assignments (own copies of programs) and schedules."""

from .alerts import Alert
from .assignment import (
    Assignment,
    AssignmentItem,
    AssignmentQuerySet,
    current_on,
    item_due_on,
    item_in_use_on,
)
from .invitations import Invitation
from .logs import ExerciseLog, PainLog, PainLogArea
from .outcomes import OutcomeAnswer, OutcomePlan, OutcomeResponse
from .patient import Patient, PatientQuerySet
from .reminders import Delivery, ReminderSchedule

__all__ = [
    "Alert",
    "Assignment",
    "AssignmentItem",
    "AssignmentQuerySet",
    "Delivery",
    "ExerciseLog",
    "Invitation",
    "OutcomeAnswer",
    "OutcomePlan",
    "OutcomeResponse",
    "PainLog",
    "PainLogArea",
    "Patient",
    "PatientQuerySet",
    "ReminderSchedule",
    "current_on",
    "item_due_on",
    "item_in_use_on",
]
