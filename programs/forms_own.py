"""The form of a clinician's own exercise: uploads are checked by their content, not their
name (a picture must open with Pillow; a video must start like an MP4 or WebM file)."""

from __future__ import annotations

import logging

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from trigger.media import sniff_content_type

from . import weekdays
from .forms import ProgramItemForm
from .models import OwnExercise

logger = logging.getLogger(__name__)

# What each accepted video container's name ends with (the bytes decide the container).
VIDEO_EXTENSIONS = {"video/mp4": "mp4", "video/webm": "webm"}


class OwnExerciseForm(forms.ModelForm):
    """Name, steps, dosage, a picture or a video, where it comes from, and who sees it."""

    sets = ProgramItemForm.base_fields["sets"]
    reps = ProgramItemForm.base_fields["reps"]
    hold_seconds = ProgramItemForm.base_fields["hold_seconds"]
    rest_seconds = ProgramItemForm.base_fields["rest_seconds"]
    times_per_day = ProgramItemForm.base_fields["times_per_day"]
    weekdays = ProgramItemForm.base_fields["weekdays"]

    class Meta:
        model = OwnExercise
        fields = [
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
        ]
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 6}),
            "image": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            "video": forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm"}),
        }
        help_texts = {"instructions": _("One step a line, in the words a patient understands.")}
        error_messages = {
            "name": {"required": _("Give the exercise a name.")},
            "instructions": {"required": _("Write the steps.")},
            "source": {"required": _("Say where the exercise comes from.")},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["weekdays"] = [str(d) for d in weekdays.from_mask(self.instance.weekdays)]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token
        self.helper.layout = Layout(
            Field("name"),
            Field("instructions"),
            Fieldset(
                _("Dosage"),
                Row(
                    Column(Field("sets"), css_class="col-6 col-md-4"),
                    Column(Field("reps"), css_class="col-6 col-md-4"),
                    Column(Field("times_per_day"), css_class="col-6 col-md-4"),
                    Column(Field("hold_seconds"), css_class="col-6 col-md-4"),
                    Column(Field("rest_seconds"), css_class="col-6 col-md-4"),
                ),
                "weekdays",
            ),
            Fieldset(
                _("Picture and video"),
                Field("image"),
                Field("image_alt"),
                Field("video"),
                Field("video_description"),
            ),
            Field("source"),
            Field("shared_with_practice"),
        )

    def clean_weekdays(self) -> int:
        return weekdays.to_mask(self.cleaned_data["weekdays"])

    def clean_video(self):
        video = self.cleaned_data.get("video")
        if not video or video == self.instance.video:
            return video
        video.seek(0)
        container = VIDEO_EXTENSIONS.get(sniff_content_type(video.read(16)))
        video.seek(0)
        extension = video.name.rsplit(".", 1)[-1].lower()
        if container is None or container != extension:
            logger.info(
                "own exercise video refused: owner=%s name=%r container=%s",
                self.instance.owner_id,
                video.name,
                container,
            )
            raise forms.ValidationError(
                _("This file is not an MP4 or WebM video."), code="not_a_video"
            )
        return video

    def clean(self) -> dict:
        data = super().clean()
        if data.get("image") and not data.get("image_alt"):
            self.add_error("image_alt", _("Describe the picture for people who cannot see it."))
        if data.get("video") and not data.get("video_description"):
            self.add_error(
                "video_description", _("Describe the video for people who cannot watch it.")
            )
        return data


class AddOwnExerciseForm(forms.Form):
    """Which own exercise to add to a program (the queryset is the clinician's visible ones)."""

    exercise = forms.ModelChoiceField(
        queryset=OwnExercise.objects.none(),
        error_messages={
            "required": _("Choose one of your exercises."),
            "invalid_choice": _("That exercise is no longer available."),
        },
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exercise"].queryset = OwnExercise.objects.visible_to(user)
