"""Assignments: the patient's own copy of a program."""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from programs import weekdays
from programs.models import CopiedItem, Program, copied_item_constraints

from .patient import Patient


def current_on(day: datetime.date, prefix: str = "") -> models.Q:
    """Assignments (reached through ``prefix``) current on ``day``: active, started on or
    before it, and not ended before it (docs/clinical.md, "The program current on a day").
    ``Assignment.is_current_on`` is the same rule for one row in memory."""
    return models.Q(
        **{f"{prefix}status": Assignment.Status.ACTIVE, f"{prefix}starts_on__lte": day}
    ) & (
        models.Q(**{f"{prefix}ends_on__isnull": True}) | models.Q(**{f"{prefix}ends_on__gte": day})
    )


class AssignmentQuerySet(models.QuerySet):
    def for_clinician(self, user) -> "AssignmentQuerySet":
        return self.filter(patient__clinician=user)

    def current_on(self, day: datetime.date) -> "AssignmentQuerySet":
        """The assignments current on ``day`` (``current_on``)."""
        return self.filter(current_on(day))

    def latest_current_on(self, day: datetime.date) -> "Assignment | None":
        """The program current on ``day`` that started last (the latest created on a tie):
        the one a pain log belongs to."""
        return self.current_on(day).order_by("-starts_on", "-id").first()


class Assignment(models.Model):
    """The patient's own copy of a program, with dates. Editing the program later does not
    change it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    program = models.ForeignKey(
        Program,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from program"),
    )
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="patients_assignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.patient})"

    def get_absolute_url(self) -> str:
        return reverse("patients:assignment_detail", kwargs={"pk": self.pk})

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.patient_id}

    def is_current_on(self, day: datetime.date) -> bool:
        """The rule of ``current_on`` for this row (a test holds the two together)."""
        return (
            self.status == self.Status.ACTIVE
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )


def item_due_on(day: datetime.date, prefix: str = "") -> models.Q:
    """Assigned exercises (reached through ``prefix``) due on ``day``: not advice, in an
    assignment current that day, in use that day, and the day's weekday in the item's
    weekdays (docs/clinical.md, "An exercise due on a day"). ``AssignmentItem.is_due_on``
    is the same rule in memory."""
    return (
        models.Q(**{f"{prefix}is_advice": False})
        & current_on(day, f"{prefix}assignment__")
        & item_in_use_on(day, prefix)
        & weekdays.included(f"{prefix}weekdays", day.weekday())
    )


def item_in_use_on(day: datetime.date, prefix: str = "") -> models.Q:
    """Assigned items (reached through ``prefix``) the patient does on ``day``: not yet
    replaced by a changed copy, and not a changed copy made after that day."""
    return (
        models.Q(**{f"{prefix}replaced_on__isnull": True})
        | models.Q(**{f"{prefix}replaced_on__gt": day})
    ) & (
        models.Q(**{f"{prefix}changed_on__isnull": True})
        | models.Q(**{f"{prefix}changed_on__lte": day})
    )


class AssignmentItem(CopiedItem):
    """The patient's own copy of a program item.

    A clinician's change of exercise (a harder or easier variant, or the library's newer
    version) never edits the copy in place: a new copy replaces it from that day on
    (``replaced_by``, ``replaced_on``), so the logs of the old one still point to it and
    the patient's story shows both. ``change`` says why the new copy was made; the patient
    sees it as a note.
    """

    class Change(models.TextChoices):
        HARDER = "harder", _("Your clinician made this exercise harder.")
        EASIER = "easier", _("Your clinician made this exercise easier.")
        UPDATED = "updated", _("Your clinician updated this exercise.")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")
    change = models.CharField(_("change"), max_length=10, choices=Change.choices, blank=True)
    changed_on = models.DateField(_("in use from"), null=True, blank=True)
    replaced_on = models.DateField(_("replaced on"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("assigned item")
        verbose_name_plural = _("assigned items")
        constraints = copied_item_constraints("patients_assignmentitem")

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.assignment.patient_id}

    def is_due_on(self, day: datetime.date) -> bool:
        """The rule of ``item_due_on`` for this item, its assignment's status and dates
        included (the assignment is loaded if it is not already)."""
        return (
            not self.is_advice
            and self.assignment.is_current_on(day)
            and self.in_use_on(day)
            and weekdays.includes(self.weekdays, day.weekday())
        )

    def in_use_on(self, day: datetime.date) -> bool:
        return (self.replaced_on is None or self.replaced_on > day) and (
            self.changed_on is None or self.changed_on <= day
        )

    @property
    def is_replaced(self) -> bool:
        return self.replaced_on is not None
