"""Forms of the patient's own pages (/me/...). They validate and normalise; the services
decide what may be recorded."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ExerciseLog

PAIN_ERROR = _("Pain is a whole number from 0 (no pain) to 10 (worst imaginable).")
PAIN_CHOICES = [
    (0, _("0 = no pain")),
    *((n, str(n)) for n in range(1, 10)),
    (10, _("10 = worst imaginable")),
]


class ExerciseLogForm(forms.Form):
    """One session of an exercise: done (with how hard and how painful, both optional) or
    skipped (with a reason). ``session`` is the session the page showed, so a form sent twice
    records it once."""

    status = forms.ChoiceField(
        choices=ExerciseLog.Status.choices,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose done or skip."),
            "invalid_choice": _("Choose done or skip."),
        },
    )
    day = forms.DateField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("The date is missing."),
            "invalid": _("The date is not valid."),
        },
    )
    session = forms.IntegerField(min_value=1, max_value=6, required=False, widget=forms.HiddenInput)
    difficulty = forms.ChoiceField(
        label=_("How hard was it? (optional)"),
        choices=ExerciseLog.Difficulty.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose too easy, about right or too hard.")},
    )
    pain_during = forms.IntegerField(
        label=_("Pain during the exercise (optional)"),
        help_text=_("0 = no pain, 10 = worst imaginable"),
        min_value=0,
        max_value=10,
        required=False,
        error_messages={"invalid": PAIN_ERROR, "min_value": PAIN_ERROR, "max_value": PAIN_ERROR},
    )
    skip_reason = forms.CharField(
        label=_("Why are you skipping it?"),
        max_length=300,
        required=False,
        error_messages={"max_length": _("Please keep the reason under 300 characters.")},
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ExerciseLog.Status.SKIPPED:
            if not cleaned.get("skip_reason"):
                self.add_error(
                    "skip_reason", _("Please say in a few words why you are skipping it.")
                )
            cleaned["difficulty"], cleaned["pain_during"] = "", None
        elif cleaned.get("status") == ExerciseLog.Status.DONE:
            cleaned["skip_reason"] = ""
        return cleaned

    @property
    def top_errors(self) -> list[str]:
        """Errors with no visible field of their own (the form's, and its hidden fields')."""
        errors = list(self.non_field_errors())
        for name in ("status", "day", "session"):
            errors.extend(self.errors.get(name, []))
        return errors


class ExerciseFeedbackForm(forms.Form):
    """How a session recorded as done went: both answers optional."""

    difficulty = forms.ChoiceField(
        label=_("How hard was it? (optional)"),
        choices=ExerciseLog.Difficulty.choices,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose too easy, about right or too hard.")},
    )
    pain_during = forms.IntegerField(
        label=_("Pain during the exercise (optional)"),
        min_value=0,
        max_value=10,
        required=False,
        error_messages={"invalid": PAIN_ERROR, "min_value": PAIN_ERROR, "max_value": PAIN_ERROR},
    )


PERIODS = {"30": 30, "90": 90, "all": None}
PERIOD_LABELS = {"30": _("30 days"), "90": _("90 days"), "all": _("All")}


class HistoryPeriodForm(forms.Form):
    """?period=30|90|all; anything else falls back to 30 days."""

    period = forms.ChoiceField(choices=list(PERIOD_LABELS.items()), required=False)

    def period_key(self) -> str:
        if self.is_valid() and self.cleaned_data["period"]:
            return self.cleaned_data["period"]
        return "30"
