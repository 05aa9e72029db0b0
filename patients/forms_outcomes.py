"""Outcome measures: the clinician's plan form, and the patient's questionnaire form.

The questionnaire is built from the instrument's rows: a rating (radio buttons) per
question, or for a patient-specific instrument (the PSFS) a name and a rating per
activity the first time, then a rating per activity they named. Laid out by hand
(templates/patients/me/questionnaire.html): large buttons for a phone.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from trigger.models import Instrument, InstrumentItem

from .forms import HelperMixin
from .forms_pain import DescribedErrorsMixin
from .models import OutcomePlan
from .services.outcomes import Answer


class InstrumentsField(forms.ModelMultipleChoiceField):
    """Refuses an id no database integer can hold before it reaches the query."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not text.isdigit() or int(text) > 2**31 - 1:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": text[:20]},
                )
        return super()._check_values(value)


class OutcomePlanForm(HelperMixin, forms.ModelForm):
    instruments = InstrumentsField(
        label=_("Questionnaires"),
        queryset=Instrument.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Untick every questionnaire to stop asking them."),
    )

    class Meta:
        model = OutcomePlan
        fields = ["instruments", "at_start", "every_weeks", "at_end", "local_time"]
        widgets = {"local_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("instruments", list(self.fields["instruments"].queryset[:1]))
        self._add_helper()

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("instruments") and not (
            cleaned.get("at_start") or cleaned.get("every_weeks") or cleaned.get("at_end")
        ):
            raise forms.ValidationError(
                _("Choose when to ask: at the start, every few weeks, or at the end.")
            )
        return cleaned


RATING_REQUIRED = _("Choose a number from %(min)s to %(max)s.")
ACTIVITY_REQUIRED = _("Write the activity, or leave both empty.")
RATING_FOR_ACTIVITY = _("Choose how well you can do this activity.")


class QuestionnaireForm(DescribedErrorsMixin, forms.Form):
    """One questionnaire, laid out by ``rows``: per activity or question, the name field
    (only when the patient names their activities), the rating field, the fixed label and
    the instrument's question."""

    def __init__(self, *args, instrument: Instrument, activities: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.items: list[InstrumentItem] = list(instrument.items.prefetch_related("options"))
        self.activities = activities
        self.naming = instrument.is_patient_specific and not activities
        self._rows: list[tuple[str | None, str, str, InstrumentItem]] = []
        if not self.items:
            return  # an instrument an editor has not given a question yet: clean refuses
        if instrument.is_patient_specific:
            item = self.items[0]
            if self.naming:
                for n in range(1, (instrument.named_items_max or 0) + 1):
                    self.fields[f"activity_{n}"] = forms.CharField(
                        label=_("%(label)s %(n)d") % {"label": instrument.named_item_label, "n": n},
                        max_length=100,
                        required=False,
                        strip=True,
                    )
                    self.fields[f"rating_{n}"] = self._rating(item, required=False)
                    self._rows.append((f"activity_{n}", f"rating_{n}", "", item))
            else:
                for n, label in enumerate(activities, start=1):
                    self.fields[f"rating_{n}"] = self._rating(item, required=True, label=label)
                    self._rows.append((None, f"rating_{n}", label, item))
        else:
            for n, item in enumerate(self.items, start=1):
                self.fields[f"rating_{n}"] = self._rating(item, required=True, label=item.text)
                self._rows.append((None, f"rating_{n}", item.text, item))

    @property
    def rows(self) -> list[dict]:
        return [
            {
                "number": number,
                "name": self[name] if name else None,
                "rating": self[rating],
                "label": label,
                "item": item,
                "optional": bool(name) and number > (self.instrument.named_items_min or 0),
            }
            for number, (name, rating, label, item) in enumerate(self._rows, start=1)
        ]

    @staticmethod
    def _rating(item: InstrumentItem, *, required: bool, label: str = "") -> forms.TypedChoiceField:
        if item.kind == InstrumentItem.Kind.CHOICE:
            choices = [(o.value, o.label) for o in item.options.all()]
        else:
            choices = [(v, str(v)) for v in range(item.min_value, item.max_value + 1)]
        message = RATING_REQUIRED % {"min": item.min_value, "max": item.max_value}
        return forms.TypedChoiceField(
            label=label or item.text,
            choices=choices,
            coerce=int,
            required=required,
            widget=forms.RadioSelect(attrs={"class": "btn-check"}),
            error_messages={"required": message, "invalid_choice": message},
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.items:
            raise forms.ValidationError(_("This questionnaire has no questions yet."))
        if not self.naming:
            return cleaned
        named = 0
        for n in range(1, (self.instrument.named_items_max or 0) + 1):
            name, rating = cleaned.get(f"activity_{n}"), cleaned.get(f"rating_{n}")
            if f"rating_{n}" in self.errors:
                continue
            if name and rating in (None, ""):
                self.add_error(f"rating_{n}", RATING_FOR_ACTIVITY)
            elif rating not in (None, "") and not name:
                self.add_error(f"activity_{n}", ACTIVITY_REQUIRED)
            elif name:
                named += 1
        names = [
            (cleaned.get(f"activity_{n}") or "").casefold()
            for n in range(1, (self.instrument.named_items_max or 0) + 1)
        ]
        names = [n for n in names if n]
        if len(names) != len(set(names)):
            raise forms.ValidationError(_("Name each activity once."))
        least = self.instrument.named_items_min or 1
        if named < least and not self.errors:
            raise forms.ValidationError(
                ngettext(
                    "Name at least %(count)d activity and rate it.",
                    "Name at least %(count)d activities and rate each one.",
                    least,
                )
                % {"count": least}
            )
        return cleaned

    def answers(self) -> list[Answer]:
        """The valid form's answers, in order."""
        data = self.cleaned_data
        if not self.instrument.is_patient_specific:
            return [
                Answer(item=item, value=data[f"rating_{n}"])
                for n, item in enumerate(self.items, start=1)
            ]
        item = self.items[0]
        if not self.naming:
            return [
                Answer(item=item, value=data[f"rating_{n}"], label=label)
                for n, label in enumerate(self.activities, start=1)
            ]
        return [
            Answer(item=item, value=data[f"rating_{n}"], label=data[f"activity_{n}"])
            for n in range(1, (self.instrument.named_items_max or 0) + 1)
            if data.get(f"activity_{n}")
        ]
