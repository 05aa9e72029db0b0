"""Emails as a subject/text/html template trio, rendered and sent by one helper.

The subject and the text part are plain text: rendered without HTML escaping, so a name
reads "D'Arcy", not "D&#x27;Arcy". The HTML part is escaped as every page is.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


def render_plain_text(template_name: str, context: dict) -> str:
    """Render a text template (Django template language) without HTML escaping."""
    template = get_template(template_name)
    # The backend's template wraps the engine's own, which takes a Context whose
    # autoescape is off; the backend's render() would always escape.
    return template.template.render(Context(context, autoescape=False))


def send_templated_email(
    *,
    template: str,
    context: dict,
    to: list[str],
    headers: dict[str, str] | None = None,
) -> None:
    """Render ``<template>_subject.txt``, ``<template>.txt`` and ``<template>.html`` and
    send them. Errors propagate: a caller that must retry needs to see them."""
    subject = " ".join(render_plain_text(f"{template}_subject.txt", context).split())
    text = render_plain_text(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers=headers or {},
    )
    message.attach_alternative(html, "text/html")
    message.send()
