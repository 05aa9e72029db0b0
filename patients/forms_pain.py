"""The patient's pain log form and their reminder-time form.

The pain form is laid out by hand (templates/patients/me/pain.html): eleven large score
buttons and the safety questions do not fit a generic crispy layout.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from trigger.chart import area_pairs, chart_areas, chart_views
from trigger.models import BodyArea

from .models import PainLog
from .services.pain import referral_regions

SCORE_MESSAGE = _("Choose a number from 0 to 10.")
OTHER = "other"
YES_NO = [("True", _("Yes")), ("False", _("No"))]

# The safety screen, worded from docs/clinical.md ("Red flags in a painful calf").
SAFETY_QUESTIONS = {
    "calf_swollen_warm_red": _("Is one calf newly swollen, warm or red?"),
    "chest_symptoms": _(
        "Do you have new shortness of breath, chest pain, or are you coughing up blood?"
    ),
    "recent_immobilisation": _(
        "Have you recently had surgery, a cast, or been immobile for a long time "
        "(bed rest, long travel)?"
    ),
}


class DescribedErrorsMixin:
    """Points each text input with an error at its message (aria-describedby), which the
    templates render with the id ``<field id>-error``. Radio groups get it on their
    fieldset in the template instead."""

    def _post_clean(self):
        super()._post_clean()
        for name in self.errors:
            if name not in self.fields or isinstance(self.fields[name].widget, forms.RadioSelect):
                continue
            bound = self[name]
            ids = [f"{bound.auto_id}-error"]
            if self.fields[name].help_text:
                ids.append(f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


SAFETY_REQUIRED = _("Answer yes or no.")
SIDE_REQUIRED = _("Choose the side: left, right or both.")


class SafetyAnswerField(forms.NullBooleanField):
    """Yes or No, each asked explicitly: no default, and a log with a question left
    unanswered is not saved (the view still shows the urgent advice for any "yes")."""

    widget = forms.RadioSelect(choices=YES_NO, attrs={"class": "btn-check"})

    def __init__(self, **kwargs):
        super().__init__(required=True, **kwargs)

    def validate(self, value):
        # NullBooleanField accepts "no answer" even when required: not here.
        if value is None:
            raise forms.ValidationError(SAFETY_REQUIRED, code="required")


class PainLogForm(DescribedErrorsMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("How bad is your pain right now?"),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": SCORE_MESSAGE, "invalid_choice": SCORE_MESSAGE},
    )
    region = forms.ChoiceField(
        label=_("Where does it hurt?"),
        required=False,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"invalid_choice": _("Choose a place from the list.")},
    )
    # The pain drawing: tap the places on the body chart, or tick them in the list.
    areas = forms.ModelMultipleChoiceField(
        label=_("Where does it hurt?"),
        queryset=BodyArea.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose places from the body chart or the list."),
            "invalid_pk_value": _("Choose places from the body chart or the list."),
            "invalid_list": _("Choose places from the body chart or the list."),
        },
    )
    region_other = forms.CharField(
        label=_("Where else? (a few words)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        error_messages={
            "max_length": _("Keep this to %(limit_value)d characters or fewer."),
        },
    )
    side = forms.ChoiceField(
        label=_("Which side?"),
        required=False,
        choices=PainLog.Side.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"invalid_choice": SIDE_REQUIRED},
    )
    timing = forms.ChoiceField(
        label=_("When is the pain?"),
        required=False,
        choices=PainLog.Timing.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"invalid_choice": _("Choose one of the times listed.")},
    )
    note = forms.CharField(
        label=_("Anything else to note? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        error_messages={
            "max_length": _(
                "Keep the note to %(limit_value)d characters or fewer (it has %(show_value)d)."
            ),
        },
    )
    yesterday = forms.BooleanField(
        label=_("This was yesterday"),
        help_text=_("Tick this to add a log you missed yesterday."),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    calf_swollen_warm_red = SafetyAnswerField(label=SAFETY_QUESTIONS["calf_swollen_warm_red"])
    chest_symptoms = SafetyAnswerField(label=SAFETY_QUESTIONS["chest_symptoms"])
    recent_immobilisation = SafetyAnswerField(label=SAFETY_QUESTIONS["recent_immobilisation"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chart_areas = list(chart_areas())
        self.fields["areas"].queryset = BodyArea.objects.all()
        self.regions = {str(region.pk): region for region in referral_regions()}
        self.fields["region"].choices = [
            *((pk, region.name) for pk, region in self.regions.items()),
            (OTHER, _("Somewhere else")),
        ]

    def clean(self):
        data = super().clean()
        choice = data.get("region") or ""
        other = (data.get("region_other") or "").strip()
        if "region" in self.errors:
            return data
        if data.get("areas"):
            # Marked on the chart: the service derives the region and the side from them.
            data["region_obj"], data["side"] = None, ""
            data["region_other"] = other
            return data
        if choice == OTHER and not other:
            self.add_error("region_other", _("Say in a few words where it hurts."))
        # Text typed without choosing "Somewhere else" still says where it hurts.
        data["region_obj"] = self.regions.get(choice)
        data["region_other"] = "" if data["region_obj"] else other
        if data["region_obj"] is not None and data["region_obj"].lateral:
            if not data.get("side") and "side" not in self.errors:
                self.add_error("side", SIDE_REQUIRED)
        else:
            data["side"] = ""
        return data

    def _marked(self) -> set[str]:
        if not self.is_bound:
            return set()
        values = (
            self.data.getlist("areas") if hasattr(self.data, "getlist") else self.data.get("areas")
        )
        if isinstance(values, str):
            values = [values]
        return {slug for slug in values or [] if isinstance(slug, str)}

    def chart(self):
        """The body chart with the areas ticked so far (kept when the form has errors)."""
        return chart_views(self.chart_areas, marked=self._marked())

    def area_pairs(self) -> list[dict]:
        return area_pairs(self.chart_areas, self._marked())

    def lateral_regions(self) -> list[str]:
        """The names of the regions that ask for a side, for the form's hint."""
        return [region.name for region in self.regions.values() if region.lateral]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "score": data["score"],
            "region": data["region_obj"],
            "region_other": data["region_other"],
            "side": data.get("side") or "",
            "areas": list(data.get("areas") or []),
            "timing": data.get("timing") or "",
            "note": data.get("note") or "",
            "yesterday": bool(data.get("yesterday")),
            **self.safety_answers(),
        }

    def safety_answers(self) -> dict:
        """The safety screen's answers (None: not answered), valid even when the rest of
        the form is not."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) for name in SAFETY_QUESTIONS}

    def safety_fields(self):
        return [self[name] for name in SAFETY_QUESTIONS]


class ReminderTimeForm(DescribedErrorsMixin, forms.Form):
    local_time = forms.TimeField(
        label=_("New time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(
            attrs={"type": "time", "step": 300, "class": "form-control"}, format="%H:%M"
        ),
        error_messages={
            "required": _("Choose a time."),
            "invalid": _("Enter a time like 08:30."),
        },
    )
