"""Forms of the clinic: patient details, assigning a program, editing an assignment, the
dashboard's filters and acknowledging an alert."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from functools import cache

from allauth.account.models import EmailAddress
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.db.models import Count
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from phonenumber_field.formfields import PhoneNumberField

from programs import weekdays
from programs.models import Program
from programs.selectors import programs_to_assign
from users.addresses import address_in_use
from users.forms import PlausibleDatesMixin
from users.models import normalize_address
from users.once import OnceFormMixin

from .models import Alert, Assignment, AssignmentItem, Patient, ReminderSchedule
from .services.assignments import ADDRESS_IN_USE_MESSAGE
from .services.dashboard import Show

DEFAULT_TIME_ZONE = "Europe/London"
MAX_REMINDER_TIMES = 4


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone a person can live in ("Europe/London", ..., "UTC"), sorted.

    Aliases without a region ("EST", "Factory", "localtime") are left out: nobody lives there.
    """
    names = sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
    return [(name, name.replace("_", " ")) for name in names]


SUGGESTED_ZONES = 6


def time_zone_groups(*, suggested: list[str]) -> list:
    """The zones as <optgroup>s: ``suggested`` first (the clinician's own and the
    practice's common ones), then every zone under its region, so a plain <select> works
    without JavaScript and static/js/tz-picker.js only adds a search box."""
    known = dict(time_zone_choices())
    first: list[tuple[str, str]] = []
    for name in suggested:
        if name in known and (name, known[name]) not in first:
            first.append((name, known[name]))
    regions: dict[str, list[tuple[str, str]]] = {}
    for name, label in time_zone_choices():
        region = name.split("/", 1)[0] if "/" in name else str(_("Other"))
        regions.setdefault(region, []).append((name, label))
    groups: list = [(_("Suggested"), first[:SUGGESTED_ZONES])] if first else []
    return groups + list(regions.items())


def suggested_zones(clinician) -> list[str]:
    """The practice's zone, then the zones its patients live in, most common first."""
    zones: list[str] = []
    practice = getattr(clinician, "practice", None)
    if practice is not None:
        zones.append(str(practice.time_zone))
        common = (
            Patient.objects.filter(clinician__practice=practice)
            .values("time_zone")
            .annotate(n=Count("id"))
            .order_by("-n", "time_zone")[: SUGGESTED_ZONES * 2]
        )
        zones += [str(row["time_zone"]) for row in common]
    else:
        zones += [
            str(row["time_zone"])
            for row in Patient.objects.for_clinician(clinician)
            .values("time_zone")
            .annotate(n=Count("id"))
            .order_by("-n", "time_zone")[:SUGGESTED_ZONES]
        ]
    zones.append(DEFAULT_TIME_ZONE)
    return list(dict.fromkeys(zones))


def default_time_zone() -> str:
    names = {name for name, _label in time_zone_choices()}
    return DEFAULT_TIME_ZONE if DEFAULT_TIME_ZONE in names else "UTC"


class SecondarySubmit(Submit):
    field_classes = "btn btn-outline-primary"


class HelperMixin:
    """A crispy FormHelper with one submit button, so the form needs no template of its own."""

    submit_label = _("Save")

    def _add_helper(self) -> None:
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", self.submit_label))


def _pending_or_current_address(patient: Patient) -> str:
    pending = EmailAddress.objects.get_new(patient.user)
    return pending.email if pending is not None else patient.user.email


class PatientForm(OnceFormMixin, HelperMixin, forms.Form):
    """A patient's details: for adding a patient and for editing one.

    ``instance`` is the patient being edited (None when adding); the duplicate-email check
    leaves them out.
    """

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = PhoneNumberField(
        label=_("Mobile number"),
        required=False,
        max_length=32,
        help_text=_("A UK number, or any number with its international prefix (+...)."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Where the patient lives: reminders follow its clock."),
    )

    def __init__(self, *args, clinician, instance: Patient | None = None, **kwargs) -> None:
        self.clinician = clinician
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "first_name": instance.user.first_name,
                    "last_name": instance.user.last_name,
                    # A change waiting for its confirmation shows as the address, so
                    # saving other details keeps it.
                    "email": _pending_or_current_address(instance),
                    "phone": instance.phone,
                    "time_zone": str(instance.time_zone),
                },
            )
        super().__init__(*args, **kwargs)
        suggested = suggested_zones(clinician)
        self.fields["time_zone"].choices = time_zone_groups(suggested=suggested)
        self.fields["time_zone"].widget.attrs.update(
            {
                "data-tz-picker": "",
                "data-tz-search-label": _("Search time zones"),
                "data-tz-search-placeholder": _("Type a city, e.g. London or Auckland"),
                "data-tz-count-label": _("time zones match"),
            }
        )
        if instance is None:
            self.fields["time_zone"].initial = suggested[0] if suggested else default_time_zone()
            self.submit_label = _("Add patient")
        self._add_helper()
        if instance is None:
            # The usual next step, in one go: the patient's page is skipped for the Assign form.
            self.helper.add_input(
                SecondarySubmit("then", _("Add and assign a program"), css_class="ms-2")
            )

    def clean_email(self) -> str:
        email = normalize_address(self.cleaned_data["email"])
        if not email:
            return ""
        same = Patient.objects.for_clinician(self.clinician).filter(user__email__iexact=email)
        if self.instance is not None:
            same = same.exclude(pk=self.instance.pk)
        if same.exists():
            raise forms.ValidationError(
                _("One of your patients already has this email address."), code="duplicate"
            )
        # One address, one account, across practices: the message names nobody, so it
        # tells nothing about another practice's patients (README: patients).
        owner = self.instance.user if self.instance is not None else None
        if address_in_use(email, exclude_user=owner):
            raise forms.ValidationError(ADDRESS_IN_USE_MESSAGE, code="address_in_use")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        # Only complain about a missing contact when neither field has its own error.
        if (
            "email" in cleaned
            and "phone" in cleaned
            and not cleaned["email"]
            and not cleaned["phone"]
        ):
            raise forms.ValidationError(
                _("Enter an email address or a mobile number (or both) to reach the patient."),
                code="no_contact",
            )
        return cleaned

    @property
    def phone_e164(self) -> str:
        phone = self.cleaned_data.get("phone")
        return phone.as_e164 if phone else ""


TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class TimeListField(forms.CharField):
    """One to four times of day, written "08:00, 18:00"; cleans to a sorted list of times."""

    def __init__(self, *, max_times: int = MAX_REMINDER_TIMES, **kwargs) -> None:
        self.max_times = max_times
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_python(self, value) -> list[datetime.time]:
        text = super().to_python(value)
        if not text:
            return []
        times = set()
        for part in re.split(r"[,;\s]+", text.strip()):
            if not part:
                continue
            match = TIME_RE.match(part)
            if match is None:
                raise forms.ValidationError(
                    _("“%(value)s” is not a time: write times as HH:MM, for example 08:00."),
                    code="invalid_time",
                    params={"value": part[:20]},
                )
            times.add(datetime.time(int(match[1]), int(match[2])))
        if len(times) > self.max_times:
            raise forms.ValidationError(
                _("Choose at most %(max)d reminder times."),
                code="too_many",
                params={"max": self.max_times},
            )
        return sorted(times)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(f"{time:%H:%M}" for time in value)
        return value


class AssignForm(PlausibleDatesMixin, HelperMixin, forms.Form):
    """Assign one of the programs the clinician can see to this patient."""

    submit_label = _("Assign")

    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.none())
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to keep the program going until you end it."),
    )
    reminder_times = TimeListField(
        label=_("Reminder times"),
        help_text=_("One to four times of day in the patient's time zone, e.g. 08:00, 18:00."),
    )
    channel = forms.ChoiceField(
        label=_("Send reminders by"),
        choices=ReminderSchedule.Channel.choices,
        initial=ReminderSchedule.Channel.EMAIL,
    )

    def __init__(self, *args, clinician, patient: Patient, **kwargs) -> None:
        self.patient = patient
        super().__init__(*args, **kwargs)
        # Only programs this clinician may use: another clinician's id is "not a valid choice".
        self.fields["program"].queryset = programs_to_assign(clinician=clinician)
        self.fields["program"].label_from_instance = lambda program: self._program_label(
            program, clinician
        )
        self.fields["starts_on"].initial = patient.local_today()
        self.fields["reminder_times"].initial = "08:00, 18:00"
        if not patient.user.email and patient.phone:
            self.fields["channel"].initial = ReminderSchedule.Channel.SMS
        self._add_helper()

    @staticmethod
    def _program_label(program: Program, clinician) -> str:
        """The title, whose it is, its number of items and its last change, so that two
        programs of one muscle can be told apart in the list."""
        if program.owner_id != clinician.pk:
            title = _("%(title)s (shared template from %(owner)s)") % {
                "title": program.title,
                "owner": program.owner,
            }
        elif program.is_template:
            title = _("%(title)s (template)") % {"title": program.title}
        else:
            title = program.title
        count = getattr(program, "item_count", None)
        if count is None:
            count = program.items.count()
        items = ngettext("%(count)d item", "%(count)d items", count) % {"count": count}
        changed = _("changed %(date)s") % {
            "date": date_format(timezone.localtime(program.updated_at), "DATE_FORMAT")
        }
        return f"{title} · {items} · {changed}"

    def clean_channel(self) -> str:
        channel = self.cleaned_data["channel"]
        if channel == ReminderSchedule.Channel.SMS and not self.patient.phone:
            raise forms.ValidationError(
                _("Text reminders need the patient's mobile number: add it to their details."),
                code="no_phone",
            )
        if channel == ReminderSchedule.Channel.EMAIL and not self.patient.user.email:
            raise forms.ValidationError(
                _("Email reminders need the patient's email address: add it to their details."),
                code="no_email",
            )
        return channel

    def clean(self) -> dict:
        cleaned = super().clean()
        validate_dates(self, cleaned)
        return cleaned


def validate_dates(form: forms.Form, cleaned: dict) -> None:
    starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        form.add_error(
            "ends_on",
            forms.ValidationError(
                _("The end date must be on or after the start date (%(date)s)."),
                code="ends_before_start",
                params={"date": starts_on.isoformat()},
            ),
        )


class AssignmentDatesForm(PlausibleDatesMixin, HelperMixin, forms.ModelForm):
    class Meta:
        model = Assignment
        fields = ["starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._add_helper()

    def clean(self) -> dict:
        cleaned = super().clean()
        # The field error comes first, so the model's check constraint (which names the
        # same field) is not reported a second time in database words.
        validate_dates(self, cleaned)
        return cleaned


class AssignmentItemForm(HelperMixin, forms.ModelForm):
    """An assigned item's dosage and note; bounds come from the model's validators."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=weekdays.CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day of the week.")},
    )

    class Meta:
        model = AssignmentItem
        fields = [
            "sets",
            "reps",
            "hold_seconds",
            "rest_seconds",
            "times_per_day",
            "weekdays",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The model keeps a bit mask; the form shows one checkbox per day.
        self.initial["weekdays"] = [str(day) for day in self.instance.weekdays_list]
        self._add_helper()

    def clean_weekdays(self) -> int:
        return weekdays.to_mask(self.cleaned_data["weekdays"])


# --- the dashboard and the patient's story ---------------------------------------------------


class DashboardForm(forms.Form):
    """The dashboard's query string: ``?q=name&show=alerts|inactive|ending``.

    Anything invalid falls back to no search and the whole list: a bookmark or a
    hand-edited address never breaks the page."""

    q = forms.CharField(required=False, strip=True)
    show = forms.ChoiceField(required=False, choices=Show.CHOICES)

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:100]

    def values(self) -> tuple[str, str]:
        """(search text, filter), each "" when absent or invalid."""
        self.is_valid()
        return self.cleaned_data.get("q", ""), self.cleaned_data.get("show", "")


STORY_PERIODS = {"30": 30, "90": 90, "365": 365}
STORY_PERIOD_LABELS = {"30": _("30 days"), "90": _("90 days"), "365": _("1 year")}


class StoryPeriodForm(forms.Form):
    """?period=30|90|365 on the patient's page; anything else is 90 days."""

    period = forms.ChoiceField(choices=list(STORY_PERIOD_LABELS.items()), required=False)

    def period_key(self) -> str:
        if self.is_valid() and self.cleaned_data["period"]:
            return self.cleaned_data["period"]
        return "90"


RESUME, KEEP_ON_HOLD = "resume", "keep"
EXERCISES_CHOICES = [
    (RESUME, _("Resume exercises")),
    (KEEP_ON_HOLD, _("Keep on hold")),
]


class AlertAcknowledgeForm(forms.Form):
    """What the clinician did about an alert. A note is required for a red flag (what
    was advised or arranged), optional otherwise."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Please keep the note under 2000 characters.")},
    )

    exercises = forms.ChoiceField(
        label=_("The patient's exercises"),
        choices=EXERCISES_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose whether the patient may resume their exercises."),
            "invalid_choice": _("Choose whether the patient may resume their exercises."),
        },
    )

    def __init__(self, *args, alert: Alert, on_hold: bool = False, **kwargs) -> None:
        self.alert = alert
        kwargs.setdefault("prefix", f"alert-{alert.pk}")
        super().__init__(*args, **kwargs)
        if alert.kind == Alert.Kind.RED_FLAG:
            self.fields["note"].required = True
            self.fields["note"].error_messages["required"] = _(
                "Say what you did about this red flag (for example: phoned the patient, "
                "advised a same-day medical assessment)."
            )
        # Only a red flag that left the exercises on hold asks what happens to them,
        # with no default: keeping or lifting the hold is the clinician's explicit choice.
        if not (alert.kind == Alert.Kind.RED_FLAG and on_hold):
            del self.fields["exercises"]

    @property
    def resumes_exercises(self) -> bool:
        return self.cleaned_data.get("exercises") == RESUME
