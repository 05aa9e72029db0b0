"""Choices shared by several models, defined once."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a message reaches the patient: reminders and invitations alike."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
