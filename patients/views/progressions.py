"""One click to change a patient's exercise: its harder or easier variant, or the library's
newer version. POST only; another clinician's patient's exercise is a 404."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from users.access import clinician_required

from ..access import get_assignment_item_for_clinician
from ..models import AssignmentItem
from ..services import progressions as progression_services

logger = logging.getLogger(__name__)


class ExerciseChangeForm(forms.Form):
    change = forms.ChoiceField(
        choices=AssignmentItem.Change.choices,
        error_messages={"required": gettext_lazy("Choose a change.")},
    )
    back = forms.ChoiceField(
        choices=[("patient", "patient"), ("clinic", "clinic"), ("assignment", "assignment")],
        required=False,
    )


@clinician_required
def assignment_item_change(request: HttpRequest, pk: int) -> HttpResponse:
    # Fetch first: another clinician's patient's exercise is a 404 whatever the method.
    item = get_assignment_item_for_clinician(request.user, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    patient = item.assignment.patient
    form = ExerciseChangeForm(request.POST)
    back = {
        "clinic": reverse("patients:clinic"),
        "assignment": item.assignment.get_absolute_url(),
    }.get(request.POST.get("back", ""), f"{patient.get_absolute_url()}#suggestions")
    if not form.is_valid():
        logger.info("exercise change refused: item=%s bad form %s", item.pk, form.errors.as_json())
        messages.error(request, _("Choose a change."))
        return redirect(back)
    try:
        new = progression_services.assignment_item_change(
            item=item,
            change=form.cleaned_data["change"],
            by=request.user,
            today=patient.local_today(),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(
        request,
        _("%(patient)s now does “%(name)s” instead of “%(old)s”; they will see a note.")
        % {"patient": patient.name, "name": new.name, "old": item.name},
    )
    return redirect(back)
