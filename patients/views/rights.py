"""A patient's rights: their data to take away (/me/data/), and erasure (clinic or admin).

Downloads are never cached (``never_cache``) and their file names hold no name. Each
download is written to the audit trail as an export (patients/audit.py). Erasure asks for
the patient's name to be typed, then erases in one POST (patients.services.rights).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from users.access import patient_required, role_required
from users.audit import client_ip
from users.models import User

from ..access import get_patient_for_erasure, own_patient_record
from ..models import Patient
from ..services.rights import patient_data_csv, patient_data_export, patient_erase


def _own_record(request: HttpRequest) -> Patient | None:
    return own_patient_record(request.user)


def _filename(patient: Patient, extension: str) -> str:
    return f"my-data-{patient.pk}-{timezone.localdate().isoformat()}.{extension}"


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@patient_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    patient = _own_record(request)
    if patient is None:
        return render(request, "patients/no_record.html")
    return render(request, "patients/me/data.html", {"patient": patient})


@never_cache
@patient_required
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    patient = _own_record(request)
    if patient is None:
        raise Http404
    content = json.dumps(patient_data_export(patient=patient), ensure_ascii=False, indent=2)
    return _download(content, "application/json; charset=utf-8", _filename(patient, "json"))


@never_cache
@patient_required
@require_GET
def my_data_csv(request: HttpRequest) -> HttpResponse:
    patient = _own_record(request)
    if patient is None:
        raise Http404
    return _download(
        patient_data_csv(patient=patient), "text/csv; charset=utf-8", _filename(patient, "csv")
    )


# --- Erasure -------------------------------------------------------------------------------


def _normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


class EraseConfirmForm(forms.Form):
    """The patient's full name, typed: erasing the wrong patient takes a deliberate slip."""

    name = forms.CharField(
        label=gettext_lazy("Type the patient's full name to confirm"),
        max_length=300,
        error_messages={"required": gettext_lazy("Type the patient's full name.")},
    )

    def __init__(self, *args, patient: Patient, **kwargs) -> None:
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_name(self) -> str:
        typed = self.cleaned_data["name"]
        if _normalised(typed) != _normalised(self.patient.name):
            raise forms.ValidationError(
                _("The name does not match this patient's name. Nothing was erased."),
                code="mismatch",
            )
        return typed


@never_cache
@role_required(User.Role.CLINICIAN, User.Role.ADMIN)
@require_http_methods(["GET", "POST"])
def patient_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_erasure(request.user, pk)
    form = EraseConfirmForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        erasure = patient_erase(
            patient=patient, erased_by=request.user, remote_addr=client_ip(request)
        )
        messages.success(
            request,
            _("The patient's data was erased (record #%(id)s). The erasure is in the audit trail.")
            % {"id": erasure.patient_id},
        )
        return redirect("patients:clinic" if request.user.is_clinician else "home")
    return render(request, "patients/erase_confirm.html", {"patient": patient, "form": form})
