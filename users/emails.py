"""Emails as a subject/text/html template trio, rendered and sent by one helper.

The subject and the text part are plain text: rendered without HTML escaping, so a name
reads "D'Arcy", not "D&#x27;Arcy". The HTML part is escaped as every page is.

``EmailTemplates.load`` compiles a trio once; a sender of many messages (the reminder
batches) renders each message from it without looking the templates up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template


def render_plain_text(template_name: str, context: dict) -> str:
    """Render a text template (Django template language) without HTML escaping."""
    return _render_plain(get_template(template_name), context)


def _render_plain(template: Any, context: dict) -> str:
    # The backend's template wraps the engine's own, which takes a Context whose
    # autoescape is off; the backend's render() would always escape.
    return template.template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class EmailTemplates:
    """The compiled ``<name>_subject.txt``, ``<name>.txt`` and ``<name>.html``."""

    subject: Any
    text: Any
    html: Any

    @classmethod
    def load(cls, name: str) -> EmailTemplates:
        return cls(
            subject=get_template(f"{name}_subject.txt"),
            text=get_template(f"{name}.txt"),
            html=get_template(f"{name}.html"),
        )

    def message(
        self,
        *,
        context: dict,
        to: list[str],
        headers: dict[str, str] | None = None,
        connection: Any = None,
    ) -> EmailMultiAlternatives:
        """The rendered message, sent later through ``connection`` (one per batch) or the
        default backend."""
        message = EmailMultiAlternatives(
            subject=" ".join(_render_plain(self.subject, context).split()),
            body=_render_plain(self.text, context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=to,
            headers=headers or {},
            connection=connection,
        )
        message.attach_alternative(self.html.render(context), "text/html")
        return message


def send_templated_email(
    *,
    template: str,
    context: dict,
    to: list[str],
    headers: dict[str, str] | None = None,
) -> None:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html`` and
    send them. Errors propagate: a caller that must retry needs to see them."""
    EmailTemplates.load(template).message(context=context, to=to, headers=headers).send()
