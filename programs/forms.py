"""Forms of the program builder: they validate and normalise; crispy renders them."""

from __future__ import annotations

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from trigger.models import BodyArea, BodyRegion, Module, ModuleItem, Muscle
from trigger.selectors import (
    home_items_matching,
    home_items_ranked_by_areas,
    muscles_with_home_items,
)

from . import weekdays
from .models import Program, ProgramItem
from .selectors import templates_to_start_from
from .services import starter_title


def _bounded(
    label: str, minimum: int, maximum: int, message: str, *, required: bool = False
) -> forms.IntegerField:
    """A whole number with one clear message for every way of leaving its range."""
    errors = {"min_value": message, "max_value": message, "invalid": message}
    if required:
        errors["required"] = message
    return forms.IntegerField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        required=required,
        error_messages=errors,
    )


class ProgramForm(forms.ModelForm):
    """Title and description of a program (also "start empty" on the list page)."""

    class Meta:
        model = Program
        fields = ["title", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token


class ProgramItemForm(forms.ModelForm):
    """A program item's dosage and note. Nothing is saved unless every field is valid."""

    sets = _bounded(_("Sets"), 1, 20, _("Sets must be between 1 and 20."))
    reps = _bounded(_("Repetitions"), 1, 100, _("Repetitions must be between 1 and 100."))
    hold_seconds = _bounded(
        _("Hold (seconds)"), 0, 600, _("Hold must be between 0 and 600 seconds.")
    )
    rest_seconds = _bounded(
        _("Rest (seconds)"), 0, 600, _("Rest must be between 0 and 600 seconds.")
    )
    times_per_day = _bounded(
        _("Times per day"), 1, 6, _("Times per day must be between 1 and 6."), required=True
    )
    weekdays = forms.MultipleChoiceField(
        label=_("Days"),
        choices=weekdays.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one day."),
            "invalid_choice": _("Choose days of the week."),
        },
    )

    class Meta:
        model = ProgramItem
        fields = [
            "sets",
            "reps",
            "hold_seconds",
            "rest_seconds",
            "times_per_day",
            "weekdays",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"note": _("Shown to the patient with this exercise.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["weekdays"] = [str(d) for d in weekdays.from_mask(self.instance.weekdays)]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token
        self.helper.layout = Layout(
            Row(
                Column(Field("sets"), css_class="col-6 col-md-4"),
                Column(Field("reps"), css_class="col-6 col-md-4"),
                Column(Field("times_per_day"), css_class="col-6 col-md-4"),
                Column(Field("hold_seconds"), css_class="col-6 col-md-4"),
                Column(Field("rest_seconds"), css_class="col-6 col-md-4"),
            ),
            InlineCheckboxes("weekdays"),
            Field("note"),
        )

    def clean_weekdays(self) -> int:
        return weekdays.to_mask(self.cleaned_data["weekdays"])


class NewFromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=Program.objects.none(),
        empty_label=_("Choose a template"),
        error_messages={"required": _("Choose a template.")},
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        field.queryset = templates_to_start_from(user=user)
        field.label_from_instance = lambda template: (
            template.title
            if template.owner_id == user.pk
            else _("%(title)s (shared by %(owner)s)")
            % {"title": template.title, "owner": template.owner}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token


class NewFromMuscleForm(forms.Form):
    """A muscle's starter program, and its title. The title is asked for once the muscle is
    known (``needs_title``), prefilled with the muscle (and the patient's name, ``for_name``)
    so that two starters of one muscle do not look alike."""

    muscle = forms.ModelChoiceField(
        label=_("Muscle"),
        queryset=Muscle.objects.none(),
        empty_label=_("Choose a muscle"),
        error_messages={"required": _("Choose a muscle.")},
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_(
            "How this program shows in your lists and in the Assign form. Left empty, you are "
            "offered one with the muscle's name."
        ),
    )

    def __init__(self, *args, for_name: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.for_name = for_name
        self.fields["muscle"].queryset = muscles_with_home_items()
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token

    @property
    def needs_title(self) -> bool:
        """A valid muscle and no title yet: ask for the title, prefilled."""
        return self.is_valid() and not self.cleaned_data["title"].strip()

    def title_step(self) -> NewFromMuscleForm:
        """The same form again, with its title prefilled from the chosen muscle."""
        muscle = self.cleaned_data["muscle"]
        return NewFromMuscleForm(
            for_name=self.for_name,
            initial={
                "muscle": muscle.pk,
                "title": starter_title(muscle=muscle, for_name=self.for_name),
            },
        )


class AddItemForm(forms.Form):
    """Which library item to add. Whether it may go into a home program is the service's
    call, so a clinic-only item gets the service's message rather than "invalid choice"."""

    library_item = forms.ModelChoiceField(
        queryset=ModuleItem.objects.select_related("module"),
        error_messages={
            "required": _("Choose an exercise from the library."),
            "invalid_choice": _("That exercise is no longer in the library."),
        },
    )


class LibrarySearchForm(forms.Form):
    """Filters of the library browser: only home items are ever listed."""

    LIMIT = 50

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name or words in the instructions")}
        ),
    )
    muscle = forms.ModelChoiceField(
        label=_("Muscle"), queryset=Muscle.objects.none(), required=False, empty_label=_("All")
    )
    kind = forms.ChoiceField(label=_("Module"), required=False)
    region = forms.ModelChoiceField(
        label=_("Body region"),
        queryset=BodyRegion.objects.all(),
        required=False,
        empty_label=_("All"),
    )

    # "Where does it hurt?" (trigger.chart): muscles whose referral zones cover these
    # areas, the items of those explaining the most areas first.
    area = forms.ModelMultipleChoiceField(
        label=_("Where it hurts (body chart areas)"),
        queryset=BodyArea.objects.order_by("view", "order", "side"),
        to_field_name="slug",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        error_messages={"invalid_choice": _("%(value)s is not an area of the body chart.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["muscle"].queryset = muscles_with_home_items()
        self.fields["kind"].choices = [("", _("All"))] + [
            (value, label)
            for value, label in Module.Kind.choices
            if value not in (Module.Kind.DRY_NEEDLING, Module.Kind.MANUAL_THERAPY)
        ]

    def results(self) -> QuerySet[ModuleItem]:
        """The home items matching the valid filters (an invalid one is ignored), ranked by
        how many of the chosen body chart areas their muscle explains when areas are chosen."""
        if not self.is_valid():
            return home_items_matching()
        data = self.cleaned_data
        items = home_items_matching(
            q=data["q"], muscle=data["muscle"], kind=data["kind"], region=data["region"]
        )
        if data["area"]:
            return home_items_ranked_by_areas(items, list(data["area"]))
        return items
