"""Outcome measures (patient-reported questionnaires) as data.

An instrument is rows: its items, each a 0–10 style number or a choice of answer options
with values, a scoring rule (sum or mean), the score's range and direction, the minimal
clinically important difference (MCID) of the score and, where relevant, of one item,
and its source and licence. The shipped instruments are loaded from
``trigger/content/instruments.toml`` by ``manage.py load_trigger_content``; editors keep
them, and enter others a clinic is licensed to use, in the admin.

A patient-specific instrument (``named_items_min`` set, the PSFS) has one item that the
patient asks about activities they name themselves at the start; the same activities are
asked again every time.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

SCORE_PLACES = Decimal("0.1")


class Instrument(models.Model):
    class Scoring(models.TextChoices):
        SUM = "sum", _("Sum of the answers")
        MEAN = "mean", _("Mean of the answers")

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher", _("A higher score is better")
        LOWER_IS_BETTER = "lower", _("A lower score is better")

    class Change(models.TextChoices):
        IMPROVED = "improved", _("Improved by at least the MCID")
        WORSE = "worse", _("Worse by at least the MCID")
        NONE = "", _("Change smaller than the MCID")

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=30)
    instructions = models.TextField(_("instructions for the patient"))
    scoring = models.CharField(_("scoring rule"), max_length=10, choices=Scoring.choices)
    score_min = models.DecimalField(_("lowest score"), max_digits=6, decimal_places=1)
    score_max = models.DecimalField(_("highest score"), max_digits=6, decimal_places=1)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    mcid = models.DecimalField(
        _("MCID of the score"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("The smallest change of the score that matters to a patient."),
    )
    item_mcid = models.DecimalField(
        _("MCID of one item"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    named_items_min = models.PositiveSmallIntegerField(
        _("fewest items the patient names"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_(
            "Only for a patient-specific instrument: at the start the patient names between "
            "the fewest and the most items (activities) and rates each on its one question."
        ),
    )
    named_items_max = models.PositiveSmallIntegerField(
        _("most items the patient names"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    named_item_label = models.CharField(
        _("name of a patient-named item"), max_length=60, blank=True
    )
    source = models.TextField(_("source"))
    licence_note = models.TextField(_("licence"))
    active = models.BooleanField(_("offered to clinicians"), default=True)
    content_checksum = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("outcome measure")
        verbose_name_plural = _("outcome measures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score_max__gt=models.F("score_min")),
                name="trigger_instrument_score_range",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(named_items_min__isnull=True, named_items_max__isnull=True)
                    | models.Q(named_items_max__gte=models.F("named_items_min"))
                ),
                name="trigger_instrument_named_items_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_patient_specific(self) -> bool:
        return self.named_items_min is not None

    @property
    def higher_is_better(self) -> bool:
        return self.direction == self.Direction.HIGHER_IS_BETTER

    def clean(self) -> None:
        if (self.named_items_min is None) != (self.named_items_max is None):
            raise ValidationError(
                _("Give both the fewest and the most items the patient names, or neither.")
            )

    def score(self, values: list[int]) -> Decimal:
        """The score of one set of answers by the instrument's rule, to one decimal."""
        if not values:
            raise ValueError("no answers to score")
        total = Decimal(sum(values))
        if self.scoring == self.Scoring.MEAN:
            total = total / len(values)
        return total.quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)

    def change(self, *, baseline: Decimal, score: Decimal, mcid: Decimal | None = None) -> str:
        """Improved, worse, or "" (smaller than the MCID) from ``baseline`` to ``score``,
        in the instrument's direction. ``mcid`` defaults to the score's; pass
        ``item_mcid`` to judge one item."""
        mcid = self.mcid if mcid is None else mcid
        gain = score - baseline if self.higher_is_better else baseline - score
        if gain >= mcid:
            return self.Change.IMPROVED
        if gain <= -mcid:
            return self.Change.WORSE
        return self.Change.NONE


class InstrumentItem(models.Model):
    class Kind(models.TextChoices):
        NUMBER = "number", _("A number on a scale")
        CHOICE = "choice", _("One of the answer options")

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NUMBER)
    min_value = models.SmallIntegerField(_("lowest answer"), default=0)
    max_value = models.SmallIntegerField(_("highest answer"), default=10)
    min_label = models.CharField(_("meaning of the lowest answer"), max_length=120, blank=True)
    max_label = models.CharField(_("meaning of the highest answer"), max_length=120, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "order"], name="trigger_instrumentitem_unique_order"
            ),
            models.CheckConstraint(
                condition=models.Q(max_value__gt=models.F("min_value")),
                name="trigger_instrumentitem_value_range",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def allowed_values(self) -> list[int]:
        if self.kind == self.Kind.CHOICE:
            return [option.value for option in self.options.all()]
        return list(range(self.min_value, self.max_value + 1))


class AnswerOption(models.Model):
    item = models.ForeignKey(InstrumentItem, on_delete=models.CASCADE, related_name="options")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    label = models.CharField(_("answer"), max_length=200)
    value = models.SmallIntegerField(_("value"))

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        constraints = [
            models.UniqueConstraint(fields=["item", "value"], name="trigger_answeroption_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.value})"
