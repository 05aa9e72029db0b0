"""What a clinician authors: programs (and templates) made of items copied from the library.

A program knows no patient: assigning one (patients/) makes the patient's own copy.
"""

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from trigger.dosage import dosage_in_words
from trigger.models import (
    ModuleItem,
    Muscle,
    illustration_static_path,
    validate_image_size,
    validate_video_size,
)

from . import weekdays


class ProgramQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ProgramQuerySet":
        """A clinician's own programs and the templates shared in their practice."""
        shared = models.Q(
            is_template=True,
            shared_with_practice=True,
            owner__practice__isnull=False,
            owner__practice=user.practice_id,
        )
        return self.filter(models.Q(owner=user) | shared)

    def editable_by(self, user) -> "ProgramQuerySet":
        return self.filter(owner=user)


class Program(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="programs",
        verbose_name=_("clinician"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    is_template = models.BooleanField(_("template"), default=False)
    shared_with_practice = models.BooleanField(
        _("shared with my practice"),
        default=False,
        help_text=_("Other clinicians of your practice can use it (read-only)."),
    )
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("based on"),
    )
    muscle = models.ForeignKey(
        Muscle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shared_with_practice=False) | models.Q(is_template=True),
                name="programs_program_only_templates_are_shared",
            )
        ]
        indexes = [models.Index(fields=["owner", "is_template", "-updated_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("programs:detail", kwargs={"pk": self.pk})


class Dosage(models.Model):
    """Dosage fields shared by a program item and a patient's assigned item."""

    sets = models.PositiveSmallIntegerField(
        _("sets"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    reps = models.PositiveSmallIntegerField(
        _("repetitions"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    hold_seconds = models.PositiveSmallIntegerField(
        _("hold (seconds)"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    rest_seconds = models.PositiveSmallIntegerField(
        _("rest (seconds)"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    times_per_day = models.PositiveSmallIntegerField(
        _("times per day"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    weekdays = models.PositiveSmallIntegerField(
        _("days"),
        default=weekdays.ALL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(weekdays.ALL_DAYS)],
    )

    DOSAGE_FIELDS = ("sets", "reps", "hold_seconds", "rest_seconds", "times_per_day", "weekdays")

    class Meta:
        abstract = True

    @property
    def dosage_words(self) -> str:
        """The dosage as a patient reads it: "3 sets of 15, twice a day"."""
        counted = (self.sets, self.reps, self.hold_seconds, self.rest_seconds)
        # Advice ("wear supportive shoes") has no count: "once a day" alone would mislead.
        if not any(counted) and self.times_per_day == 1:
            return ""
        return dosage_in_words(
            sets=self.sets,
            reps=self.reps,
            hold_seconds=self.hold_seconds,
            rest_seconds=self.rest_seconds,
            times_per_day=self.times_per_day,
            days_per_week=None,
        )

    @property
    def days_words(self) -> str:
        return weekdays.describe(self.weekdays)

    @property
    def weekdays_list(self) -> list[int]:
        return weekdays.from_mask(self.weekdays)

    @property
    def days_per_week(self) -> int:
        return len(self.weekdays_list)


def dosage_constraints(prefix: str) -> list[models.CheckConstraint]:
    return [
        models.CheckConstraint(
            condition=models.Q(sets__isnull=True) | models.Q(sets__gte=1, sets__lte=20),
            name=f"{prefix}_sets_range",
        ),
        models.CheckConstraint(
            condition=models.Q(reps__isnull=True) | models.Q(reps__gte=1, reps__lte=100),
            name=f"{prefix}_reps_range",
        ),
        models.CheckConstraint(
            condition=models.Q(hold_seconds__isnull=True) | models.Q(hold_seconds__lte=600),
            name=f"{prefix}_hold_range",
        ),
        models.CheckConstraint(
            condition=models.Q(rest_seconds__isnull=True) | models.Q(rest_seconds__lte=600),
            name=f"{prefix}_rest_range",
        ),
        models.CheckConstraint(
            condition=models.Q(times_per_day__gte=1, times_per_day__lte=6),
            name=f"{prefix}_times_per_day_range",
        ),
        models.CheckConstraint(
            condition=models.Q(weekdays__gte=1, weekdays__lte=weekdays.ALL_DAYS),
            name=f"{prefix}_weekdays_range",
        ),
    ]


class OwnExerciseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "OwnExerciseQuerySet":
        """A clinician's own exercises and those their practice's clinicians share."""
        shared = models.Q(
            shared_with_practice=True,
            owner__practice__isnull=False,
            owner__practice=user.practice_id,
        )
        return self.filter(models.Q(owner=user) | shared)

    def editable_by(self, user) -> "OwnExerciseQuerySet":
        return self.filter(owner=user)


class OwnExercise(Dosage):
    """An exercise a clinician wrote: used in programs like a library item, never part of
    the reviewed library (an editor may promote one into it, see programs/admin.py).

    The image and video have the library's names (``image``, ``image_alt``, ``video``,
    ``video_description``), so one template shows either; their content is checked on
    upload (programs.forms.OwnExerciseForm)."""

    KIND = "own"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="own_exercises",
        verbose_name=_("clinician"),
    )
    name = models.CharField(_("name"), max_length=200)
    instructions = models.TextField(_("steps"), max_length=5000)
    source = models.CharField(
        _("where it comes from"),
        max_length=300,
        help_text=_("A book, a course, a colleague, your own practice: who can vouch for it."),
    )
    image = models.ImageField(
        _("picture"),
        upload_to="own/images/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"]), validate_image_size],
    )
    image_alt = models.CharField(_("picture description (alt text)"), max_length=300, blank=True)
    video = models.FileField(
        _("video"),
        upload_to="own/videos/",
        blank=True,
        validators=[FileExtensionValidator(["mp4", "webm"]), validate_video_size],
    )
    video_description = models.CharField(_("video description"), max_length=300, blank=True)
    shared_with_practice = models.BooleanField(
        _("shared with my practice"),
        default=False,
        help_text=_("Other clinicians of your practice can use it (read-only)."),
    )
    promoted_to = models.ForeignKey(
        ModuleItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("promoted into the library as"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("own exercise")
        verbose_name_plural = _("own exercises")
        constraints = dosage_constraints("programs_ownexercise")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("programs:exercise_detail", kwargs={"pk": self.pk})


def copied_item_constraints(prefix: str) -> list[models.CheckConstraint]:
    """An item comes from the library or from a clinician's own exercise, never both."""
    return [
        *dosage_constraints(prefix),
        models.CheckConstraint(
            condition=models.Q(library_item__isnull=True) | models.Q(own_exercise__isnull=True),
            name=f"{prefix}_one_origin",
        ),
    ]


class CopiedItem(Dosage):
    """An exercise as copied from the library, with its dosage: the common part of a
    program's item and a patient's assigned item (each copy is independent)."""

    library_item = models.ForeignKey(
        ModuleItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The library item's version that was copied (its updated_at then).
    library_updated_at = models.DateTimeField(null=True, blank=True)
    own_exercise = models.ForeignKey(
        OwnExercise, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    module_kind = models.CharField(_("kind"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    instructions = models.TextField(_("instructions"), max_length=5000)
    note = models.TextField(_("note to the patient"), blank=True, max_length=2000)
    order = models.PositiveIntegerField(_("order"), default=0)
    # How to do it, copied with the rest so that a later library edit never changes a
    # patient's copy silently.
    steps = models.JSONField(_("steps"), default=list, blank=True)
    stop_if = models.TextField(_("stop if"), blank=True, max_length=2000)
    is_advice = models.BooleanField(_("advice, not an exercise"), default=False)
    illustration = models.CharField(_("illustration"), max_length=80, blank=True)
    illustration_alt = models.CharField(_("illustration description"), max_length=300, blank=True)

    COPIED_FIELDS = (
        "library_item_id",
        "library_updated_at",
        "own_exercise_id",
        "module_kind",
        "name",
        "instructions",
        "note",
        "order",
        "steps",
        "stop_if",
        "is_advice",
        "illustration",
        "illustration_alt",
        *Dosage.DOSAGE_FIELDS,
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def copied_fields(self) -> dict:
        """What another copy of this item is made of."""
        return {field: getattr(self, field) for field in self.COPIED_FIELDS}

    @property
    def illustration_path(self) -> str:
        return illustration_static_path(self.illustration)

    @property
    def is_own(self) -> bool:
        """A clinician's own exercise (kept when the exercise itself is deleted)."""
        return self.module_kind == OwnExercise.KIND

    @property
    def media(self):
        """Where the picture and video come from: the library item or the own exercise."""
        return self.own_exercise if self.is_own else self.library_item

    @property
    def is_outdated(self) -> bool:
        """The library item changed after it was copied here."""
        return bool(
            self.library_item
            and self.library_updated_at
            and self.library_item.updated_at > self.library_updated_at
        )

    @property
    def name_is_instructions(self) -> bool:
        """A library bullet named after its own text would otherwise read twice."""
        return (
            self.instructions.strip().rstrip(".").strip() == self.name.strip().rstrip(".").strip()
        )


class ProgramItem(CopiedItem):
    """A library item copied into a program: its instructions and dosage at that moment.

    ``library_item`` remembers where it came from so the builder can say "updated in the
    library" (``library_updated_at`` is the library item's version that was copied).
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="items")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("program item")
        verbose_name_plural = _("program items")
        constraints = copied_item_constraints("programs_programitem")
