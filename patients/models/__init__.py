"""A person under care: the record, their assignments (own copies of programs) and schedules."""

from .alerts import Alert
from .assignment import Assignment, AssignmentItem, AssignmentQuerySet, item_in_use_on
from .invitations import Invitation
from .logs import ExerciseLog, PainLog, PainLogArea
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
    "PainLog",
    "PainLogArea",
    "Patient",
    "PatientQuerySet",
    "ReminderSchedule",
    "item_in_use_on",
]
