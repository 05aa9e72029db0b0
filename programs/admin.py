"""Editors review clinicians' own exercises and may promote one into the library.

Editors hold no permission on this app (``users.models.User.EDITOR_APPS``); this admin
lets them (and administrators) read own exercises and run the "promote" action, nothing
else: a clinician's exercise stays theirs to change.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trigger.selectors import home_modules

from .models import OwnExercise
from .services import own_exercise_promote

logger = logging.getLogger(__name__)


def _reviewer(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and (user.is_editor or user.is_superuser)


class PromoteForm(forms.Form):
    module = forms.ModelChoiceField(
        label=gettext_lazy("Library module"),
        queryset=home_modules().select_related("muscle"),
        error_messages={"required": gettext_lazy("Choose the module it goes into.")},
    )


@admin.register(OwnExercise)
class OwnExerciseAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "shared_with_practice", "promoted_to", "updated_at"]
    list_filter = ["shared_with_practice"]
    list_select_related = ["owner", "promoted_to"]
    search_fields = ["name", "instructions", "source", "owner__username", "owner__last_name"]
    actions = ["promote"]
    readonly_fields = [
        "owner",
        "name",
        "instructions",
        "sets",
        "reps",
        "hold_seconds",
        "rest_seconds",
        "times_per_day",
        "weekdays",
        "image",
        "image_alt",
        "video",
        "video_description",
        "source",
        "shared_with_practice",
        "promoted_to",
    ]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _reviewer(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return _reviewer(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return _reviewer(request)

    @admin.action(description=gettext_lazy("Promote into the library"), permissions=["promote"])
    def promote(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Ask which home module the exercises go into, then create a library item of each."""
        form = PromoteForm(request.POST if "module" in request.POST else None)
        if form.is_bound and form.is_valid():
            module = form.cleaned_data["module"]
            for exercise in queryset.select_related("owner"):
                try:
                    item = own_exercise_promote(exercise=exercise, module=module)
                except ValidationError as error:
                    logger.info(
                        "promotion refused: exercise=%s module=%s by=%s",
                        exercise.pk,
                        module.pk,
                        request.user.pk,
                    )
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    return None
                self.message_user(
                    request,
                    _("%(name)s is now in the library (%(module)s).")
                    % {"name": item.name, "module": module},
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/programs/ownexercise/promote.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Promote into the library"),
                "form": form,
                "exercises": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
