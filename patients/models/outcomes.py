"""Outcome measures of an assignment: when they are asked, and the patient's answers."""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trigger.models import Instrument, InstrumentItem

from ..schedule import local_to_utc
from .assignment import Assignment
from .patient import Patient

# An assignment without an end date is asked every N weeks; this many occasions at most
# are computed ahead (two years of fortnightly questionnaires).
MAX_OCCASIONS = 60


class OutcomePlan(models.Model):
    """Which questionnaires an assignment asks, and when: at the start, then every N weeks,
    and at the end, each time at ``local_time`` in the patient's zone."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="outcome_plan"
    )
    instruments = models.ManyToManyField(
        Instrument, related_name="+", verbose_name=_("questionnaires")
    )
    at_start = models.BooleanField(_("at the start"), default=True)
    every_weeks = models.PositiveSmallIntegerField(
        _("then every N weeks"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
        help_text=_("Leave empty to ask only at the start and at the end."),
    )
    at_end = models.BooleanField(_("at the end"), default=True)
    local_time = models.TimeField(_("at (patient's time)"), default=datetime.time(18, 0))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outcome measure plan")
        verbose_name_plural = _("outcome measure plans")

    def __str__(self) -> str:
        return f"{self.assignment}: {self.describe()}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.assignment.patient_id}

    def describe(self) -> str:
        parts = []
        if self.at_start:
            parts.append(str(_("at the start")))
        if self.every_weeks:
            parts.append(str(_("every %(weeks)d weeks")) % {"weeks": self.every_weeks})
        if self.at_end and self.assignment.ends_on:
            parts.append(str(_("at the end")))
        return ", ".join(parts)

    def occasions(self) -> list[datetime.date]:
        """The local dates the questionnaires are due, in order, within the assignment's
        dates."""
        assignment = self.assignment
        start, end = assignment.starts_on, assignment.ends_on
        days: list[datetime.date] = [start] if self.at_start else []
        if self.every_weeks:
            step = datetime.timedelta(weeks=self.every_weeks)
            day = start + step
            while (end is None or day < end) and len(days) < MAX_OCCASIONS:
                days.append(day)
                if datetime.date.max - day < step:
                    break  # the end of the calendar
                day += step
        if self.at_end and end is not None and end not in days:
            days.append(end)
        return days

    def due_at(self, day: datetime.date) -> datetime.datetime:
        """The UTC instant of the occasion ``day`` at the plan's local time, in the
        patient's zone (DST-correct, patients/schedule.py)."""
        return local_to_utc(
            datetime.datetime.combine(day, self.local_time), self.assignment.patient.zone
        )

    def next_due_after(self, moment: datetime.datetime) -> datetime.datetime | None:
        for day in self.occasions():
            due = self.due_at(day)
            if due > moment:
                return due
        return None

    def occasion_on(self, today: datetime.date) -> datetime.date | None:
        """The occasion open on the local date ``today``: the latest one on or before it,
        until the next one begins. None before the first."""
        current = None
        for day in self.occasions():
            if day > today:
                break
            current = day
        return current


class OutcomeResponse(models.Model):
    """One answered questionnaire: its occasion, its score by the instrument's rule, and
    (in OutcomeAnswer) every answer. Unique per (assignment, instrument, occasion), so a
    double submit saves one."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="outcome_responses")
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="outcome_responses"
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="+", verbose_name=_("questionnaire")
    )
    due_on = models.DateField(_("asked for"))
    answered_at = models.DateTimeField(_("answered at"))
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=1)
    # Against the patient's first answer of this instrument (the baseline), by its MCID:
    # computed when saved, so the dashboard filters on it in SQL.
    change = models.CharField(
        _("change from the baseline"),
        max_length=10,
        choices=Instrument.Change.choices,
        blank=True,
        default="",
    )

    class Meta:
        ordering = ["answered_at", "id"]
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "instrument", "due_on"],
                name="patients_outcomeresponse_once_per_occasion",
            )
        ]
        indexes = [
            models.Index(fields=["patient", "answered_at"], name="patients_outcome_patient_idx")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.short_name} {self.due_on}: {self.score}"

    def get_additional_data(self) -> dict:
        return {"patient_id": self.patient_id}


class OutcomeAnswer(models.Model):
    """One answer: a question of the instrument, or a patient-named activity (``label``)
    rated on the instrument's one question."""

    response = models.ForeignKey(OutcomeResponse, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(InstrumentItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))
    label = models.CharField(_("activity"), max_length=100, blank=True)
    value = models.SmallIntegerField(_("answer"))

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "position"], name="patients_outcomeanswer_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label or self.item}: {self.value}"

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it (patients/audit.py).
        return {"patient_id": self.response.patient_id}
