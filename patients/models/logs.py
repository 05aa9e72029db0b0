"""What the patient logs: exercise sessions and pain scores."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from trigger.models import BodyArea, BodyRegion

from .assignment import Assignment, AssignmentItem
from .patient import Patient


class ExerciseLog(models.Model):
    """A session of an assigned exercise, done or skipped, on the patient's local date."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    class Difficulty(models.TextChoices):
        TOO_EASY = "too_easy", _("Too easy")
        ABOUT_RIGHT = "about_right", _("About right")
        TOO_HARD = "too_hard", _("Too hard")

    # No index of its own: (patient, -performed_on) below serves every lookup by patient, and
    # a second one made the planner read all of a patient's logs for a week's count.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="exercise_logs", db_index=False
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="exercise_logs"
    )
    item = models.ForeignKey(AssignmentItem, on_delete=models.CASCADE, related_name="logs")
    performed_on = models.DateField(_("date"))
    session = models.PositiveSmallIntegerField(_("session"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    difficulty = models.CharField(
        _("how hard was it?"), max_length=12, choices=Difficulty.choices, blank=True
    )
    pain_during = models.PositiveSmallIntegerField(
        _("pain during the exercise (0–10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    skip_reason = models.CharField(_("reason for skipping"), max_length=300, blank=True)
    is_late = models.BooleanField(_("added later"), default=False)
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        ordering = ["-performed_on", "-logged_at"]
        verbose_name = _("exercise log")
        verbose_name_plural = _("exercise logs")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "performed_on", "session"], name="patients_exerciselog_once"
            ),
            models.CheckConstraint(
                condition=models.Q(pain_during__isnull=True) | models.Q(pain_during__lte=10),
                name="patients_exerciselog_pain_0_10",
            ),
            models.CheckConstraint(
                condition=models.Q(session__gte=1, session__lte=6),
                name="patients_exerciselog_session_range",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-performed_on"], name="patients_exlog_pat_idx"),
            # The "too hard" alert scans recent too-hard reports only (a small part).
            models.Index(
                fields=["performed_on"],
                condition=models.Q(difficulty="too_hard"),
                name="patients_exlog_too_hard_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.performed_on} ({self.status})"

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.patient_id}


def pain_place(*, region_name: str, region_other: str, side: str) -> str:
    """A pain log's place in words: the region with its side, else what the patient typed."""
    if not region_name:
        return region_other
    if side:
        return f"{region_name}, {PainLog.Side(side).label.lower()}"
    return region_name


class PainLog(models.Model):
    """A pain score on the 0–10 numeric rating scale, with where, when, and the safety
    screen's answers kept with it (None: not asked)."""

    class Side(models.TextChoices):
        LEFT = "left", _("Left")
        RIGHT = "right", _("Right")
        BOTH = "both", _("Both sides")

    class Timing(models.TextChoices):
        WAKING = "waking", _("On waking")
        DURING_ACTIVITY = "during_activity", _("During activity")
        AFTER_ACTIVITY = "after_activity", _("After activity")
        REST = "rest", _("At rest")
        NIGHT = "night", _("At night")

    # No index of its own: (patient, -recorded_for) below serves every lookup by patient.
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="pain_logs", db_index=False
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.SET_NULL, null=True, blank=True, related_name="pain_logs"
    )
    score = models.PositiveSmallIntegerField(
        _("pain score (0–10)"), validators=[MaxValueValidator(10)]
    )
    region = models.ForeignKey(
        BodyRegion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("where it hurts"),
    )
    region_other = models.CharField(_("somewhere else"), max_length=200, blank=True)
    # The pain drawing: the body chart areas marked (each has its side), and their names as
    # the patient saw them when logging (the record keeps its words if the chart is edited).
    areas = models.ManyToManyField(
        BodyArea,
        through="PainLogArea",
        blank=True,
        related_name="+",
        verbose_name=_("marked on the body chart"),
    )
    # A database default too: the demo data's bulk COPY names its columns (seed_demo).
    areas_text = models.CharField(
        _("marked on the body chart"), max_length=1000, blank=True, default="", db_default=""
    )
    # For a region with a side (BodyRegion.lateral); empty when the region has none.
    side = models.CharField(_("side"), max_length=5, choices=Side.choices, blank=True)
    timing = models.CharField(_("when"), max_length=20, choices=Timing.choices, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    recorded_for = models.DateTimeField(_("when the pain was"))
    is_late = models.BooleanField(_("added later"), default=False)
    # The safety screen (docs/clinical.md, red flags in a painful calf).
    calf_swollen_warm_red = models.BooleanField(
        _("one calf newly swollen, warm or red"), null=True, blank=True
    )
    chest_symptoms = models.BooleanField(
        _("new shortness of breath, chest pain or coughing blood"), null=True, blank=True
    )
    recent_immobilisation = models.BooleanField(
        _("recent surgery, a cast or long immobilisation"), null=True, blank=True
    )
    logged_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_for", "-id"]
        verbose_name = _("pain log")
        verbose_name_plural = _("pain logs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=10), name="patients_painlog_score_0_10"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=["", "left", "right", "both"]),
                name="patients_painlog_side_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-recorded_for"], name="patients_pain_pat_idx"),
            # A program's baseline is its first three logs (patients.services.dashboard).
            models.Index(
                fields=["assignment", "recorded_for", "id"], name="patients_pain_baseline_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/10 {self.recorded_for:%Y-%m-%d %H:%M}"

    def get_additional_data(self) -> dict:
        # Written on each audit entry of this row: the erasure finds the entries of the
        # patient's rows by it, even of rows deleted long before (patients/audit.py).
        return {"patient_id": self.patient_id}

    @property
    def where(self) -> str:
        """Where it hurts in words, with the side: "Back of calf, left" (the areas marked
        on the body chart, when there are: "Back of calf, left; Heel and sole, left")."""
        if self.areas_text:
            return "; ".join(p for p in (self.areas_text, self.region_other) if p)
        return pain_place(
            region_name=self.region.name if self.region_id else "",
            region_other=self.region_other,
            side=self.side,
        )

    @property
    def has_red_flag(self) -> bool:
        return bool(self.calf_swollen_warm_red or self.chest_symptoms or self.recent_immobilisation)


class PainLogArea(models.Model):
    """One body chart area marked on a pain log (the pain drawing)."""

    pain_log = models.ForeignKey(PainLog, on_delete=models.CASCADE, related_name="marked_areas")
    area = models.ForeignKey(
        BodyArea, on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )

    class Meta:
        ordering = ["pain_log", "area__view", "area__order", "area__side"]
        verbose_name = _("marked area")
        verbose_name_plural = _("marked areas")
        constraints = [
            models.UniqueConstraint(fields=["pain_log", "area"], name="patients_painlogarea_once")
        ]

    def __str__(self) -> str:
        return f"{self.pain_log_id}: {self.area}"
