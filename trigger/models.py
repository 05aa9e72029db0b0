"""The trigger-point content library: muscles and every section of their text.

A muscle document (see trigger/content/) is parsed into these rows by
``manage.py load_trigger_content``; editors then maintain them in the admin. Nothing
here knows about programs or patients.
"""

import re

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Outcome measures live in their own module; named here, they belong to the app's models
# (and `from trigger.models import Instrument` works as for every other model).
from .instruments import AnswerOption as AnswerOption
from .instruments import Instrument as Instrument
from .instruments import InstrumentItem as InstrumentItem
from .media import validate_image_content, validate_video_content

ILLUSTRATION_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class BodyArea(models.Model):
    """One area of the project's body chart (front and back views, each side its own area).

    The chart is drawn by the project (trigger/content/body_chart.toml, licensed with it),
    after the Margolis pain drawing's granularity (docs/clinical.md). ``outline`` is the
    area's SVG path in the view's 200 x 440 drawing.
    """

    class View(models.TextChoices):
        FRONT = "front", _("Front")
        BACK = "back", _("Back")

    class Side(models.TextChoices):
        LEFT = "left", _("Left")
        RIGHT = "right", _("Right")
        MIDLINE = "midline", _("Middle")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120, help_text=_("Without the side."))
    view = models.CharField(_("view"), max_length=5, choices=View.choices)
    side = models.CharField(_("side"), max_length=7, choices=Side.choices)
    outline = models.TextField(
        _("SVG outline"), help_text=_("The path data (d attribute) in the 200 x 440 view.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    always_show = models.CharField(
        _("always show this urgent differential"),
        max_length=120,
        blank=True,
        help_text=_(
            "When a clinician chooses this area, the library's urgent differentials with this "
            "name are shown first, whichever muscle they are filed under."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["view", "order", "side", "slug"]
        verbose_name = _("body chart area")
        verbose_name_plural = _("body chart areas")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(view__in=["front", "back"]), name="trigger_bodyarea_view_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(side__in=["left", "right", "midline"]),
                name="trigger_bodyarea_side_valid",
            ),
        ]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The area's name with its side: "Back of calf, left"."""
        if self.side == self.Side.MIDLINE:
            return self.name
        return f"{self.name}, {self.get_side_display().lower()}"

    @property
    def lateral(self) -> bool:
        return self.side != self.Side.MIDLINE


class BodyRegion(models.Model):
    """Where pain is felt: shared by every muscle that refers pain there."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # A region on a limb has a side: the pain log then asks left, right or both (a blood
    # clot is a sign in one leg, so "back of calf" without a side loses what matters).
    lateral = models.BooleanField(
        _("has a side"),
        default=False,
        help_text=_("Ask the patient which side (left, right or both) when they log pain here."),
    )
    # Where the region is on the body chart: a zone filed here shows on these areas.
    areas = models.ManyToManyField(
        BodyArea,
        blank=True,
        related_name="regions",
        verbose_name=_("body chart areas"),
        help_text=_("The chart areas this region covers (both sides for a region on a limb)."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("body region")
        verbose_name_plural = _("body regions")

    def __str__(self) -> str:
        return self.name


class Muscle(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    area = models.TextField(_("area"), blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    further_reading = models.CharField(_("further reading"), max_length=300, blank=True)
    # Anatomy and innervation (the document's table), and the paragraph after it.
    origin = models.TextField(_("origin"), blank=True)
    insertion = models.TextField(_("insertion"), blank=True)
    innervation = models.CharField(_("innervation"), max_length=200, blank=True)
    nerve_roots = models.CharField(_("nerve roots"), max_length=50, blank=True)
    anatomy_note = models.TextField(_("anatomy note"), blank=True)
    # Bookkeeping for load_trigger_content: the document that produced these rows, a
    # fingerprint of the rows as loaded (a reload compares it to tell an editor's later
    # changes), and when.
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    content_checksum = models.CharField(max_length=64, blank=True, editable=False)
    loaded_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("muscle")
        verbose_name_plural = _("muscles")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("trigger:muscle_detail", kwargs={"slug": self.slug})

    @property
    def has_content(self) -> bool:
        """False for a stub entry (an associated muscle not yet written up)."""
        return bool(self.area or self.introduction or self.source_checksum)


class SectionText(models.Model):
    """The lead-in and the closing paragraph of one section of a muscle's document."""

    class Kind(models.TextChoices):
        INDICATIONS = "indications", _("Indications")
        ACTIONS = "actions", _("Muscle action")
        SYMPTOMS = "symptoms", _("Signs and symptoms")
        PERPETUATING = "perpetuating", _("Perpetuating factors")
        REFERRAL = "referral", _("Trigger point referral pattern")
        DIFFERENTIAL = "differential", _("Differential diagnosis")
        ASSOCIATED = "associated", _("Associated trigger points")
        EXAMINATION = "examination", _("Patient examination")
        CORRECTIVE = "corrective", _("Corrective actions")

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="section_texts")
    kind = models.CharField(_("section"), max_length=20, choices=Kind.choices)
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    lead = models.TextField(_("lead-in"), blank=True)
    summary = models.TextField(_("closing paragraph"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["muscle", "id"]
        verbose_name = _("section text")
        verbose_name_plural = _("section texts")
        constraints = [
            models.UniqueConstraint(fields=["muscle", "kind"], name="trigger_sectiontext_unique")
        ]

    def __str__(self) -> str:
        return f"{self.muscle}: {self.get_kind_display()}"


class OrderedItem(models.Model):
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]


class SectionItem(OrderedItem):
    """One bullet of a list section: indications, actions, symptoms, factors, examination.

    A bullet may be "Label: text" (``label``) and may end in a parenthesised ``note``.
    """

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="section_items")
    kind = models.CharField(_("section"), max_length=20, choices=SectionText.Kind.choices)
    label = models.CharField(_("label"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    note = models.TextField(_("note"), blank=True)

    class Meta(OrderedItem.Meta):
        ordering = ["kind", "order", "id"]
        verbose_name = _("section item")
        verbose_name_plural = _("section items")

    def __str__(self) -> str:
        return self.label or self.text[:80]


class ReferralZone(OrderedItem):
    """Where this muscle's trigger points refer pain, and what that pain can mimic."""

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="referral_zones")
    region = models.ForeignKey(
        BodyRegion, on_delete=models.PROTECT, related_name="zones", verbose_name=_("region")
    )
    text = models.CharField(_("as written"), max_length=300)
    mimics = models.TextField(_("can mimic"), blank=True)

    class Meta(OrderedItem.Meta):
        verbose_name = _("referral zone")
        verbose_name_plural = _("referral zones")

    def __str__(self) -> str:
        return self.text


class Differential(OrderedItem):
    """A condition the muscle's pain may be mistaken for.

    ``urgent`` marks those needing same-day medical attention (deep vein thrombosis,
    compartment syndrome); the patient's safety screen reads them.
    """

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="differentials")
    name = models.CharField(_("condition"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    urgent = models.BooleanField(_("needs urgent medical attention"), default=False)
    urgent_advice = models.TextField(_("urgent advice"), blank=True)
    urgent_source = models.CharField(_("source of the urgent flag"), max_length=300, blank=True)

    class Meta(OrderedItem.Meta):
        verbose_name = _("differential diagnosis")
        verbose_name_plural = _("differential diagnoses")

    def __str__(self) -> str:
        return self.name


class AssociatedMuscle(OrderedItem):
    """A muscle whose trigger points often co-exist with this one's (linked both ways)."""

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="associations")
    related = models.ForeignKey(
        Muscle,
        on_delete=models.CASCADE,
        related_name="associated_from",
        verbose_name=_("associated muscle"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta(OrderedItem.Meta):
        verbose_name = _("associated muscle")
        verbose_name_plural = _("associated muscles")
        constraints = [
            models.UniqueConstraint(
                fields=["muscle", "related"], name="trigger_associatedmuscle_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(muscle=models.F("related")),
                name="trigger_associatedmuscle_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ↔ {self.related}"


class Module(OrderedItem):
    """A group of corrective actions: stretching, strengthening, dry needling, ...

    ``setting`` says who carries it out: home modules feed home exercise programs;
    clinic-only modules (dry needling, clinician-applied release) never do.
    """

    class Kind(models.TextChoices):
        DRY_NEEDLING = "dry_needling", _("Dry needling")
        MANUAL_THERAPY = "manual_therapy", _("Manual therapy")
        STRETCHING = "stretching", _("Stretching")
        STRENGTHENING = "strengthening", _("Strengthening")
        POSTURE_FOOTWEAR = "posture_footwear", _("Posture and footwear")
        SELF_MASSAGE = "self_massage", _("Self-massage")
        OTHER = "other", _("Other")

    class Setting(models.TextChoices):
        HOME = "home", _("Home program")
        CLINIC = "clinic", _("Clinic only")

    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="modules")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    setting = models.CharField(
        _("who carries it out"), max_length=10, choices=Setting.choices, default=Setting.CLINIC
    )

    class Meta(OrderedItem.Meta):
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self) -> str:
        return f"{self.muscle}: {self.name}"

    @property
    def is_home(self) -> bool:
        return self.setting == self.Setting.HOME


def validate_image_size(file) -> None:
    if file.size > settings.LIBRARY_IMAGE_MAX_BYTES:
        raise ValidationError(
            _("The image is larger than %(max)s MB."),
            params={"max": settings.LIBRARY_IMAGE_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )


def validate_video_size(file) -> None:
    if file.size > settings.LIBRARY_VIDEO_MAX_BYTES:
        raise ValidationError(
            _("The video is larger than %(max)s MB."),
            params={"max": settings.LIBRARY_VIDEO_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )


def _positive(limit: int) -> list:
    return [MinValueValidator(1), MaxValueValidator(limit)]


class ModuleItem(OrderedItem):
    """One corrective action. Home items carry patient instructions and a dosage.

    ``text`` is the library statement as written; ``instructions`` is what a patient
    reads (starts as the statement; editors may rewrite it in plain words). A dosage
    the source document does not give is a default from the literature:
    ``dosage_is_default`` is then set and ``dosage_source`` cites it.
    """

    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=200)
    text = models.TextField(_("statement"))
    instructions = models.TextField(_("patient instructions"), blank=True)
    sets = models.PositiveSmallIntegerField(
        _("sets"), null=True, blank=True, validators=_positive(20)
    )
    reps = models.PositiveSmallIntegerField(
        _("repetitions"), null=True, blank=True, validators=_positive(100)
    )
    hold_seconds = models.PositiveSmallIntegerField(
        _("hold (seconds)"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    rest_seconds = models.PositiveSmallIntegerField(
        _("rest (seconds)"), null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    times_per_day = models.PositiveSmallIntegerField(
        _("times per day"), null=True, blank=True, validators=_positive(6)
    )
    days_per_week = models.PositiveSmallIntegerField(
        _("days per week"), null=True, blank=True, validators=_positive(7)
    )
    dosage_is_default = models.BooleanField(
        _("dosage is an editable default"),
        default=False,
        help_text=_("Set when the source document gives no dosage and a cited default is used."),
    )
    dosage_source = models.CharField(_("source of the default dosage"), max_length=300, blank=True)
    is_advice = models.BooleanField(
        _("advice, not an exercise"),
        default=False,
        help_text=_(
            "A tip the patient keeps in mind (footwear, posture): no sets, repetitions, "
            "sessions or Done button, and never counted in adherence."
        ),
    )
    stop_if = models.TextField(
        _("stop if"),
        blank=True,
        help_text=_("When the patient should stop and contact their clinician."),
    )
    steps_are_default = models.BooleanField(
        _("steps are an editable default"),
        default=False,
        help_text=_("Set when the steps were written by the project from a cited source."),
    )
    steps_source = models.CharField(_("source of the steps"), max_length=300, blank=True)
    illustration = models.CharField(
        _("illustration"),
        max_length=80,
        blank=True,
        help_text=_(
            "The name of a line drawing shipped with the project (static/illustrations/"
            "<name>.svg). An image or a video, when set, is shown instead."
        ),
    )
    illustration_alt = models.CharField(
        _("illustration description (alt text)"), max_length=300, blank=True
    )
    image = models.ImageField(
        _("image"),
        upload_to="library/images/",
        blank=True,
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "webp"]),
            validate_image_size,
            validate_image_content,
        ],
    )
    image_alt = models.CharField(_("image description (alt text)"), max_length=300, blank=True)
    video = models.FileField(
        _("video"),
        upload_to="library/videos/",
        blank=True,
        validators=[
            FileExtensionValidator(["mp4", "webm"]),
            validate_video_size,
            validate_video_content,
        ],
    )
    video_description = models.CharField(_("video description"), max_length=300, blank=True)
    # Progressions: the next harder variant of this exercise (its easier one is the reverse,
    # ``easier_variant``), so a chain reads both legs -> one leg -> on a step.
    harder_variant = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="easier_variant",
        verbose_name=_("harder variant"),
        help_text=_("The exercise a patient progresses to when this one becomes too easy."),
    )
    # An item the source document does not have (a variant added as an editable default).
    is_default_item = models.BooleanField(
        _("not in the source document (an editable default)"), default=False
    )
    item_source = models.CharField(_("source of this item"), max_length=300, blank=True)

    class Meta(OrderedItem.Meta):
        verbose_name = _("module item")
        verbose_name_plural = _("module items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sets__isnull=True) | models.Q(sets__gte=1, sets__lte=20),
                name="trigger_moduleitem_sets_range",
            ),
            models.CheckConstraint(
                condition=models.Q(reps__isnull=True) | models.Q(reps__gte=1, reps__lte=100),
                name="trigger_moduleitem_reps_range",
            ),
            models.CheckConstraint(
                condition=models.Q(hold_seconds__isnull=True) | models.Q(hold_seconds__lte=600),
                name="trigger_moduleitem_hold_range",
            ),
            models.CheckConstraint(
                condition=models.Q(rest_seconds__isnull=True) | models.Q(rest_seconds__lte=600),
                name="trigger_moduleitem_rest_range",
            ),
            models.CheckConstraint(
                condition=models.Q(times_per_day__isnull=True)
                | models.Q(times_per_day__gte=1, times_per_day__lte=6),
                name="trigger_moduleitem_times_per_day_range",
            ),
            models.CheckConstraint(
                condition=models.Q(days_per_week__isnull=True)
                | models.Q(days_per_week__gte=1, days_per_week__lte=7),
                name="trigger_moduleitem_days_per_week_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(harder_variant=models.F("pk")),
                name="trigger_moduleitem_harder_not_self",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.image and not self.image_alt:
            raise ValidationError(
                {"image_alt": _("Describe the image for people who cannot see it.")}
            )
        if self.video and not self.video_description:
            raise ValidationError(
                {"video_description": _("Describe the video for people who cannot watch it.")}
            )
        if self.dosage_is_default and not self.dosage_source:
            raise ValidationError({"dosage_source": _("Cite the source of the default dosage.")})
        if self.steps_are_default and not self.steps_source:
            raise ValidationError({"steps_source": _("Cite the source of the default steps.")})
        if self.illustration and not finders.find(self.illustration_path or "-"):
            raise ValidationError(
                {"illustration": _("No illustration of that name ships with the project.")}
            )
        if self.illustration and not self.illustration_alt:
            raise ValidationError(
                {"illustration_alt": _("Describe the illustration for people who cannot see it.")}
            )
        if self.is_default_item and not self.item_source:
            raise ValidationError({"item_source": _("Cite the source of this item.")})
        self._clean_harder_variant()

    def _clean_harder_variant(self) -> None:
        """A harder variant is another home exercise, and the chain never loops."""
        variant = self.harder_variant
        if variant is None:
            return
        if self.pk and variant.pk == self.pk:
            raise ValidationError(
                {"harder_variant": _("An exercise cannot be its own harder variant.")}
            )
        seen = {self.pk}
        while variant is not None:
            if variant.pk in seen:
                raise ValidationError(
                    {"harder_variant": _("This would make the progression go round in a loop.")}
                )
            seen.add(variant.pk)
            variant = variant.harder_variant

    @property
    def easier(self) -> "ModuleItem | None":
        """The easier variant, if any (the reverse of ``harder_variant``)."""
        try:
            return self.easier_variant
        except ModuleItem.DoesNotExist:
            return None

    @property
    def step_texts(self) -> list[str]:
        """The numbered steps' texts in order (prefetch ``steps`` to spare a query)."""
        return [step.text for step in sorted(self.steps.all(), key=lambda s: (s.order, s.pk))]

    @property
    def illustration_path(self) -> str:
        """The illustration's path among the static files, or "" when there is none."""
        return illustration_static_path(self.illustration)


def illustration_static_path(name: str) -> str:
    """``calf-raises`` -> ``illustrations/calf-raises.svg`` (names are slugs, never paths)."""
    if not name or not ILLUSTRATION_NAME.fullmatch(name):
        return ""
    return f"illustrations/{name}.svg"


class ModuleItemStep(OrderedItem):
    """One numbered how-to step of a library item, in plain words."""

    item = models.ForeignKey(ModuleItem, on_delete=models.CASCADE, related_name="steps")
    text = models.TextField(_("step"), max_length=500)

    class Meta(OrderedItem.Meta):
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self) -> str:
        return self.text[:80]


class Source(OrderedItem):
    muscle = models.ForeignKey(Muscle, on_delete=models.CASCADE, related_name="sources")
    citation = models.TextField(_("citation"))

    class Meta(OrderedItem.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.citation[:80]
