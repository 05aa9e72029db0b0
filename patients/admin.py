"""The patients app in the admin: not its records (clinicians see them in the clinic), but
one rule for the accounts page. A patient's account is never deleted there: erasure is the
only way a patient leaves (patients.services.rights.patient_erase), and the account page
links to it instead. Registered with users.deletion from PatientsConfig.ready."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Patient


def refuse_deleting_patients(users: list) -> list[SafeString]:
    """One line, with a link to the erasure page, for each account that has a patient
    record: the admin then refuses the whole deletion."""
    ids = [user.pk for user in users if user.pk is not None]
    records = Patient.objects.filter(user_id__in=ids).select_related("user").order_by("pk")
    return [
        format_html(
            '{} <a href="{}">{}</a>',
            _("%(name)s has a patient record: a patient's account is not deleted here.")
            % {"name": record.name},
            reverse("patients:patient_erase", kwargs={"pk": record.pk}),
            _("Erase the patient's data instead"),
        )
        for record in records
    ]
