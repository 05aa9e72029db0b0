"""A clinician's own exercises: list, create, read, edit, and add one to a program.

Scoped through ``programs.access``: another clinician's private exercise is a 404; one
shared in the practice is readable by colleagues and editable by its owner only.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from users import once
from users.access import clinician_required

from . import services
from .access import get_own_exercise_for_user, get_program_for_user
from .forms_own import AddOwnExerciseForm, OwnExerciseForm
from .models import OwnExercise

logger = logging.getLogger(__name__)


@clinician_required
@require_GET
def exercise_list(request: HttpRequest) -> HttpResponse:
    visible = OwnExercise.objects.visible_to(request.user).select_related("owner")
    return render(
        request,
        "programs/own_exercise_list.html",
        {
            "mine": [e for e in visible if e.owner_id == request.user.pk],
            "shared": [e for e in visible if e.owner_id != request.user.pk],
        },
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def exercise_new(request: HttpRequest) -> HttpResponse:
    exercise = OwnExercise(owner=request.user)
    form = OwnExerciseForm(request.POST or None, request.FILES or None, instance=exercise)
    if request.method == "POST":
        if form.is_valid():
            if repeat := once.repeat_of(request, fallback=reverse("programs:exercise_list")):
                return repeat
            form.save()
            messages.success(request, _("Saved %(name)s.") % {"name": exercise.name})
            return once.remember(request, redirect(exercise))
        logger.info(
            "own exercise not created: owner=%s fields=%s", request.user.pk, sorted(form.errors)
        )
    return render(request, "programs/own_exercise_form.html", {"form": form, "exercise": None})


@clinician_required
@require_GET
def exercise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = get_own_exercise_for_user(request.user, pk)
    return render(
        request,
        "programs/own_exercise_detail.html",
        {"exercise": exercise, "can_edit": exercise.owner_id == request.user.pk},
    )


@clinician_required
@require_http_methods(["GET", "POST"])
def exercise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    exercise = get_own_exercise_for_user(request.user, pk, write=True)
    form = OwnExerciseForm(request.POST or None, request.FILES or None, instance=exercise)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved %(name)s.") % {"name": exercise.name})
            return redirect(exercise)
        logger.info(
            "own exercise not saved: exercise=%s owner=%s fields=%s",
            exercise.pk,
            request.user.pk,
            sorted(form.errors),
        )
        exercise.refresh_from_db()
    return render(request, "programs/own_exercise_form.html", {"form": form, "exercise": exercise})


@clinician_required
@require_POST
def item_add_own(request: HttpRequest, pk: int) -> HttpResponse:
    """Add one of the clinician's own (or practice-shared) exercises to their program."""
    program = get_program_for_user(request.user, pk, write=True)
    form = AddOwnExerciseForm(request.POST, user=request.user)
    if form.is_valid():
        item = services.program_add_own_exercise(
            program=program, exercise=form.cleaned_data["exercise"]
        )
        messages.success(request, _("Added %(name)s.") % {"name": item.name})
        return redirect(f"{program.get_absolute_url()}#item-{item.pk}")
    logger.info(
        "own exercise not added: program=%s user=%s exercise=%r",
        program.pk,
        request.user.pk,
        request.POST.get("exercise", "")[:20],
    )
    for message in form.errors.get("exercise", []):
        messages.error(request, message)
    return redirect(f"{program.get_absolute_url()}#own-exercises")
