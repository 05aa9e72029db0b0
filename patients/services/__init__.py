"""Logic across patient models, one module per entity (docs/architecture.md).

The names most views need are re-exported here.
"""

from .assignments import (
    assignment_create,
    assignment_set_dates,
    assignment_set_status,
    patient_create,
    patient_email_change,
    patient_pending_email,
    patient_update,
)

__all__ = [
    "assignment_create",
    "assignment_set_dates",
    "assignment_set_status",
    "patient_create",
    "patient_email_change",
    "patient_pending_email",
    "patient_update",
]
