"""Content editing: every library model in the admin, with a per-object audit history.

Content editors (role "editor", is_staff) hold every permission on this app and no
other (see ``users.models.User.has_perm``). The Muscle page edits one muscle's whole
document through inlines; modules and their items have pages of their own, since an
exercise carries a dosage, media and alt text that do not fit in a table row.
"""

from auditlog.mixins import AuditlogHistoryAdminMixin
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    AnswerOption,
    AssociatedMuscle,
    BodyArea,
    BodyRegion,
    Differential,
    Instrument,
    InstrumentItem,
    Module,
    ModuleItem,
    ModuleItemStep,
    Muscle,
    ReferralZone,
    SectionItem,
    SectionText,
    Source,
)


class LibraryAdmin(AuditlogHistoryAdminMixin, admin.ModelAdmin):
    """Base for every library admin: an "Audit log" column and a link on the change page."""

    show_auditlog_history_link = True
    save_on_top = True

    @admin.display(description=_("who changed what"))
    def audit_history(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_auditlog", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the audit log"))


class MuscleChildAdmin(LibraryAdmin):
    """A row that belongs to one muscle: "View on site" opens that muscle's page."""

    list_select_related = ["muscle"]
    autocomplete_fields = ["muscle"]

    def view_on_site(self, obj) -> str:
        return obj.muscle.get_absolute_url()


# --- Inlines on the Muscle page ---------------------------------------------------------


class SectionTextInline(admin.StackedInline):
    model = SectionText
    extra = 0
    fields = ["kind", "heading", "lead", "summary"]
    ordering = ["kind"]
    verbose_name = _("section text")
    verbose_name_plural = _("section texts (lead-in and closing paragraph)")


class SectionItemInline(admin.TabularInline):
    model = SectionItem
    extra = 0
    fields = ["kind", "order", "label", "text", "note"]
    ordering = ["kind", "order", "id"]


class ReferralZoneInline(admin.TabularInline):
    model = ReferralZone
    extra = 0
    fields = ["order", "region", "text", "mimics"]
    ordering = ["order", "id"]


class DifferentialInline(admin.StackedInline):
    model = Differential
    extra = 0
    fields = [
        "order",
        "name",
        "description",
        ("urgent", "urgent_source"),
        "urgent_advice",
    ]
    ordering = ["order", "id"]


class AssociatedMuscleInline(admin.TabularInline):
    model = AssociatedMuscle
    fk_name = "muscle"
    extra = 0
    fields = ["order", "related", "note"]
    autocomplete_fields = ["related"]
    ordering = ["order", "id"]


class ModuleInline(admin.TabularInline):
    """Modules in brief; their exercises are edited on the module's own page."""

    model = Module
    extra = 0
    fields = ["order", "kind", "name", "setting"]
    ordering = ["order", "id"]
    show_change_link = True


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["order", "citation"]
    ordering = ["order", "id"]


@admin.register(Muscle)
class MuscleAdmin(LibraryAdmin):
    list_display = ["name", "slug", "title", "has_content_display", "updated_at"]
    search_fields = ["name", "slug", "title"]
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["source_checksum", "loaded_at", "updated_at", "audit_history"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "title", "audit_history"]}),
        (
            _("Text"),
            {"fields": ["area", "introduction", "conclusion", "further_reading"]},
        ),
        (
            _("Anatomy and innervation"),
            {"fields": ["origin", "insertion", "innervation", "nerve_roots", "anatomy_note"]},
        ),
        (
            _("Loaded from the document"),
            {
                "classes": ["collapse"],
                "fields": ["source_checksum", "loaded_at", "updated_at"],
            },
        ),
    ]
    inlines = [
        SectionTextInline,
        SectionItemInline,
        ReferralZoneInline,
        DifferentialInline,
        AssociatedMuscleInline,
        ModuleInline,
        SourceInline,
    ]

    @admin.display(description=_("written up"), boolean=True)
    def has_content_display(self, obj: Muscle) -> bool:
        return obj.has_content


# --- Modules and their exercises -----------------------------------------------------------

# One layout for an exercise, on its own page and inline on its module's page.
ITEM_FIELDSETS = [
    (None, {"fields": ["name", "order", "text", "instructions", "is_advice"]}),
    (
        _("How to do it (the steps are edited as a list below)"),
        {"fields": ["stop_if", "steps_are_default", "steps_source"]},
    ),
    (
        _("Dosage"),
        {
            "fields": [
                ("sets", "reps"),
                ("hold_seconds", "rest_seconds"),
                ("times_per_day", "days_per_week"),
                "dosage_is_default",
                "dosage_source",
            ]
        },
    ),
    (
        _("Image and video"),
        {
            "description": _(
                "The illustration is the project's own line drawing; an image or a video, "
                "when set, is shown instead of it."
            ),
            "fields": [
                ("illustration", "illustration_alt"),
                ("image", "image_alt"),
                ("video", "video_description"),
            ],
        },
    ),
    (
        _("Progression"),
        {
            "description": _(
                "The harder variant a patient progresses to; the easier one is the exercise "
                "that names this one as its harder variant."
            ),
            "fields": ["harder_variant", "is_default_item", "item_source"],
        },
    ),
]


class ModuleItemStepInline(admin.TabularInline):
    """The numbered how-to steps, one row each, in order."""

    model = ModuleItemStep
    extra = 1
    fields = ["order", "text"]
    ordering = ["order", "id"]


class ModuleItemInline(admin.StackedInline):
    model = ModuleItem
    extra = 0
    fieldsets = ITEM_FIELDSETS
    ordering = ["order", "id"]
    show_change_link = True
    autocomplete_fields = ["harder_variant"]


@admin.register(Module)
class ModuleAdmin(LibraryAdmin):
    list_display = ["name", "muscle", "kind", "setting", "order"]
    list_filter = ["kind", "setting", "muscle"]
    list_select_related = ["muscle"]
    search_fields = ["name", "muscle__name"]
    ordering = ["muscle__name", "order", "id"]
    autocomplete_fields = ["muscle"]
    readonly_fields = ["audit_history"]
    fields = ["muscle", "kind", "name", "setting", "order", "audit_history"]
    inlines = [ModuleItemInline]

    def view_on_site(self, obj: Module) -> str:
        return obj.muscle.get_absolute_url()


@admin.register(ModuleItem)
class ModuleItemAdmin(LibraryAdmin):
    list_display = ["name", "module", "order", "dosage", "dosage_is_default", "is_advice"]
    list_filter = [
        "is_advice",
        "module__kind",
        "module__setting",
        "module__muscle",
        "dosage_is_default",
    ]
    list_select_related = ["module__muscle"]
    search_fields = ["name", "text", "instructions", "module__name", "module__muscle__name"]
    ordering = ["module__muscle__name", "module__order", "order", "id"]
    autocomplete_fields = ["module", "harder_variant"]
    readonly_fields = ["audit_history"]
    fieldsets = [
        (None, {"fields": ["module", "audit_history"]}),
        *ITEM_FIELDSETS,
    ]
    inlines = [ModuleItemStepInline]

    def view_on_site(self, obj: ModuleItem) -> str:
        return obj.module.muscle.get_absolute_url()

    @admin.display(description=_("dosage"))
    def dosage(self, obj: ModuleItem) -> str:
        parts = []
        if obj.sets:
            parts.append(_("%(n)s sets") % {"n": obj.sets})
        if obj.reps:
            parts.append(_("%(n)s reps") % {"n": obj.reps})
        if obj.hold_seconds:
            parts.append(_("hold %(n)s s") % {"n": obj.hold_seconds})
        return ", ".join(str(part) for part in parts) or "-"


# --- The remaining rows, each on a page of its own too ----------------------------------------


class PlacedOnChartFilter(admin.SimpleListFilter):
    """Regions the loader could not put on the body chart, for an editor to place."""

    title = _("on the body chart")
    parameter_name = "placed"

    def lookups(self, request, model_admin):
        return [("no", _("Not placed yet")), ("yes", _("Placed"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(areas__isnull=True)
        if self.value() == "yes":
            return queryset.filter(areas__isnull=False).distinct()
        return queryset


@admin.register(BodyRegion)
class BodyRegionAdmin(LibraryAdmin):
    """An editor places a region the loader could not (it reported it by name) by
    choosing its chart areas here."""

    list_display = ["name", "slug", "order", "lateral", "chart_areas"]
    list_filter = ["lateral", PlacedOnChartFilter]
    search_fields = ["name", "slug"]
    ordering = ["order", "name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["areas"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("areas")

    @admin.display(description=_("on the body chart"))
    def chart_areas(self, obj: BodyRegion) -> str:
        labels = [area.label for area in obj.areas.all()]
        return ", ".join(labels) or str(_("not placed yet"))

    # A region has no page of its own on the site.
    view_on_site = False


@admin.register(BodyArea)
class BodyAreaAdmin(LibraryAdmin):
    list_display = ["name", "side", "view", "slug", "order"]
    list_filter = ["view", "side"]
    search_fields = ["name", "slug"]
    ordering = ["view", "order", "side"]
    prepopulated_fields = {"slug": ["name"]}
    view_on_site = False


@admin.register(SectionText)
class SectionTextAdmin(MuscleChildAdmin):
    list_display = ["muscle", "kind", "heading"]
    list_filter = ["kind", "muscle"]
    search_fields = ["heading", "lead", "summary", "muscle__name"]
    ordering = ["muscle__name", "kind"]


@admin.register(SectionItem)
class SectionItemAdmin(MuscleChildAdmin):
    list_display = ["__str__", "muscle", "kind", "order"]
    list_filter = ["kind", "muscle"]
    search_fields = ["label", "text", "note", "muscle__name"]
    ordering = ["muscle__name", "kind", "order", "id"]


@admin.register(ReferralZone)
class ReferralZoneAdmin(MuscleChildAdmin):
    list_display = ["text", "muscle", "region", "order"]
    list_filter = ["region", "muscle"]
    list_select_related = ["muscle", "region"]
    search_fields = ["text", "mimics", "muscle__name", "region__name"]
    ordering = ["muscle__name", "order", "id"]


@admin.register(Differential)
class DifferentialAdmin(MuscleChildAdmin):
    list_display = ["name", "muscle", "urgent", "order"]
    list_filter = ["urgent", "muscle"]
    search_fields = ["name", "description", "urgent_advice", "muscle__name"]
    ordering = ["muscle__name", "order", "id"]


@admin.register(AssociatedMuscle)
class AssociatedMuscleAdmin(MuscleChildAdmin):
    list_display = ["muscle", "related", "order"]
    list_filter = ["muscle"]
    list_select_related = ["muscle", "related"]
    search_fields = ["muscle__name", "related__name", "note"]
    ordering = ["muscle__name", "order", "id"]
    autocomplete_fields = ["muscle", "related"]


@admin.register(Source)
class SourceAdmin(MuscleChildAdmin):
    list_display = ["__str__", "muscle", "order"]
    list_filter = ["muscle"]
    search_fields = ["citation", "muscle__name"]
    ordering = ["muscle__name", "order", "id"]


# --- Outcome measures -------------------------------------------------------------------


class InstrumentItemInline(admin.StackedInline):
    """Questions in order; a choice question's answer options are on its own page."""

    model = InstrumentItem
    extra = 0
    fields = ["order", "text", "kind", ("min_value", "max_value"), ("min_label", "max_label")]
    ordering = ["order", "id"]
    show_change_link = True


@admin.register(Instrument)
class InstrumentAdmin(LibraryAdmin):
    list_display = ["name", "short_name", "scoring", "direction", "mcid", "active"]
    list_filter = ["active", "scoring"]
    search_fields = ["name", "short_name", "slug"]
    prepopulated_fields = {"slug": ["short_name"]}
    inlines = [InstrumentItemInline]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "slug", "active", "instructions"]}),
        (
            _("Scoring"),
            {
                "fields": [
                    "scoring",
                    ("score_min", "score_max"),
                    "direction",
                    ("mcid", "item_mcid"),
                ]
            },
        ),
        (
            _("Patient-specific items (leave empty for a fixed questionnaire)"),
            {"fields": [("named_items_min", "named_items_max"), "named_item_label"]},
        ),
        (_("Source and licence"), {"fields": ["source", "licence_note", "audit_history"]}),
    ]
    readonly_fields = ["audit_history"]


class AnswerOptionInline(admin.TabularInline):
    model = AnswerOption
    extra = 0
    fields = ["order", "label", "value"]
    ordering = ["order", "id"]


@admin.register(InstrumentItem)
class InstrumentItemAdmin(LibraryAdmin):
    list_display = ["text", "instrument", "order", "kind"]
    list_select_related = ["instrument"]
    list_filter = ["instrument"]
    inlines = [AnswerOptionInline]
