"""Logic across patient models, one module per entity (docs/architecture.md).

The names most views need are re-exported here.
"""

from .assignments import (
    AlreadyAssigned,
    NewAssignment,
    assignment_create,
    assignment_end,
    assignment_pause,
    assignment_resume,
    assignment_set_dates,
    assignments_create_in_bulk,
    patient_create,
    patient_email_change,
    patient_pending_email,
    patient_update,
)

__all__ = [
    "AlreadyAssigned",
    "NewAssignment",
    "assignment_create",
    "assignment_end",
    "assignment_pause",
    "assignment_resume",
    "assignment_set_dates",
    "assignments_create_in_bulk",
    "patient_create",
    "patient_email_change",
    "patient_pending_email",
    "patient_update",
]
