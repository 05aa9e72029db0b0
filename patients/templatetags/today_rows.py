"""The patient's Today page, one exercise as a checklist row: ``{% load today_rows %}``
and ``{% exercise_row row %}``.

The row was a template (five includes, then one template with the shared snippets
written out): 1.4 ms a row, most of the page's time on a phone's most visited page. It is
written here with ``patients.html`` (every value escaped as ``format_html`` does), in the
same words, marked for translation; the rarer parts keep their templates (the feedback
form after Done, the library's image and video, the own-exercise badge) and are rendered
in the page's context, as ``{% include %}`` would. ``row`` is what
``patients.views.me._exercise_rows`` worked out for the exercise.

What a row must say is pinned by tests/patients/test_me_today.py (the shared picture,
dosage, steps and Skip snippets, Done, Skip, Undo, feedback, on hold, errors) and its
accessibility by the browser tests (tests/e2e).
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date, linebreaks_filter
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ..html import html_format, html_join, link
from ..models import ExerciseLog

register = template.Library()

# The parts that keep their templates, as ``{% include %}`` rendered them.
FEEDBACK = "patients/me/snippets/exercise_feedback.html"
MEDIA = "trigger/snippets/item_media.html"
OWN_BADGE = "programs/snippets/own_badge.html"


def _included(context: template.Context, name: str, **values) -> SafeString:
    """``{% include name with values %}`` in ``context``."""
    with context.push(**values):
        return SafeString(context.template.engine.get_template(name).render(context))


def _csrf_input(context: template.Context) -> SafeString:
    """What ``{% csrf_token %}`` writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return SafeString("")
    return html_format('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def _thumb(row: dict) -> SafeString:
    if not row["thumb"]:
        return SafeString("")
    return html_format(
        '<figure class="item-illustration item-illustration-thumb mb-0">\n'
        '  <img src="{}" alt="{}" width="260" height="170">\n</figure>\n',
        row["thumb"],
        row["alt"],
    )


def _action(context: template.Context, row: dict, log_url: str) -> SafeString:
    """Done (a form), or what the row is: done, skipped, on hold."""
    if row["is_complete"]:
        return html_format(
            '<span class="row-complete text-success fw-semibold"><span aria-hidden="true">✓'
            "</span> {}</span>",
            gettext("Done") if row["done"] else gettext("Skipped"),
        )
    if context.get("on_hold"):
        return html_format(
            '<span class="row-on-hold fw-semibold">{}<span class="visually-hidden">: {}'
            "</span></span>",
            gettext("On hold"),
            gettext("do not do this exercise until your clinician says you can."),
        )
    which = ""
    if row["several"]:
        which = " " + gettext("session %(n)s of %(total)s") % {
            "n": row["next_session"],
            "total": row["sessions"],
        }
    return html_format(
        '<form method="post" action="{}" data-submit-once>\n{}\n'
        '<input type="hidden" name="status" value="done">\n'
        '<input type="hidden" name="day" value="{}">\n'
        '<input type="hidden" name="session" value="{}">\n'
        '<button type="submit" class="btn btn-success btn-done">{}<span class="visually-hidden">'
        " {}{}</span></button>\n</form>",
        log_url,
        _csrf_input(context),
        context.get("day_iso"),
        row["next_session"],
        gettext("Done"),
        row["name"],
        which,
    )


def _picture(context: template.Context, row: dict) -> SafeString:
    """The library's image and video, else the drawing (trigger/snippets/item_picture.html)."""
    if row["media"]:
        return _included(context, MEDIA, media=row["media"], context_id="today")
    if not row["thumb"]:
        return SafeString("")
    return html_format(
        '<figure class="item-illustration mb-0">\n'
        '  <img src="{}" alt="{}" width="260" height="170" loading="lazy">\n'
        '  <figcaption class="visually-hidden">{}</figcaption>\n</figure>\n',
        row["thumb"],
        row["alt"],
        gettext("Illustration"),
    )


def _how_to(row: dict) -> SafeString:
    """The steps and when to stop (trigger/snippets/how_to.html)."""
    parts = []
    if row["steps"]:
        parts.append(
            html_format(
                '<p class="fw-semibold mt-2 mb-1 how-to-label">{}</p>\n'
                '<ol class="how-to-steps mb-2">{}</ol>\n',
                gettext("How to do it"),
                html_join("", "<li>{}</li>", ((step,) for step in row["steps"])),
            )
        )
    if row["stop_if"]:
        parts.append(
            html_format(
                '<p class="stop-if mb-2"><strong>{}</strong> {}</p>',
                gettext("Stop if:"),
                row["stop_if"],
            )
        )
    return SafeString("".join(parts))


def _logs(context: template.Context, row: dict) -> SafeString:
    """The day's records of the exercise, each with Undo (on yesterday's page, only
    what was added later)."""
    if not row["logs"]:
        return SafeString("")
    late = context.get("late")
    items = []
    for log in row["logs"]:
        if log.status == ExerciseLog.Status.DONE:
            said = html_format('<strong class="text-success">{}</strong>', gettext("Done"))
            if log.difficulty:
                said += html_format(" · {}", log.get_difficulty_display())
            if log.pain_during is not None:
                said += html_format(
                    " · {}", gettext("pain %(score)s/10") % {"score": log.pain_during}
                )
        else:
            said = html_format("<strong>{}</strong>: {}", gettext("Skipped"), log.skip_reason)
        undo = ""
        if not late or log.is_late:
            which = " " + gettext("session %(n)s") % {"n": log.session} if row["several"] else ""
            undo = html_format(
                '<form method="post" action="{}" class="flex-shrink-0">\n{}\n'
                '<button type="submit" class="btn btn-outline-secondary btn-sm">{}'
                '<span class="visually-hidden"> {}{}</span></button>\n</form>',
                link("patients:exercise_log_undo", log.pk),
                _csrf_input(context),
                gettext("Undo"),
                row["name"],
                which,
            )
        items.append(
            html_format(
                '<li class="d-flex align-items-center justify-content-between gap-2 border-top '
                'py-1">\n<span>\n{}{}\n{}\n</span>\n{}\n</li>',
                gettext("Session %(n)s:") % {"n": log.session} + " " if row["several"] else "",
                said,
                html_format(
                    '<span class="badge text-bg-secondary">{}</span>', gettext("added later")
                )
                if log.is_late
                else "",
                undo,
            )
        )
    return html_format('<ul class="list-unstyled mb-2">\n{}\n</ul>', SafeString("\n".join(items)))


def _skip_form(context: template.Context, row: dict, log_url: str) -> SafeString:
    """Skip, with its reason required; after an error, the field marked and the error
    beside it."""
    if row["is_complete"] or context.get("on_hold"):
        return SafeString("")
    pk = row["pk"]
    field = html_format(
        '<input class="form-control" type="text" name="skip_reason" id="skip-reason-{}" '
        'maxlength="300" required value="">',
        pk,
    )
    form = context.get("error_form")
    if row["is_error"] and form is not None:
        bound = form["skip_reason"]
        value = bound.value()
        field = html_format(
            '<input class="form-control{}" type="text" name="skip_reason" id="skip-reason-{}" '
            'maxlength="300" required value="{}"{}>\n{}',
            " is-invalid" if bound.errors else "",
            pk,
            "" if value is None else value,
            html_format(' aria-describedby="skip-error-{}"', pk) if bound.errors else "",
            html_join(
                "",
                '<div class="invalid-feedback d-block" id="skip-error-{}">{}</div>',
                ((pk, error) for error in bound.errors),
            ),
        )
    return html_format(
        '<form method="post" action="{}" class="skip-form" data-submit-once>\n{}\n'
        '<input type="hidden" name="status" value="skipped">\n'
        '<input type="hidden" name="day" value="{}">\n'
        '<input type="hidden" name="session" value="{}">\n'
        '<label class="form-label" for="skip-reason-{}">{}</label>\n{}\n'
        '<button type="submit" class="btn btn-outline-secondary w-100 mt-2">{}'
        '<span class="visually-hidden"> {}</span></button>\n</form>',
        log_url,
        _csrf_input(context),
        context.get("day_iso"),
        row["next_session"],
        pk,
        gettext("Skipping it? Say why:"),
        field,
        gettext("Skip"),
        row["name"],
    )


@register.simple_tag(takes_context=True)
def exercise_row(context: template.Context, row: dict) -> SafeString:
    """One exercise due on the page's day: picture, name, dosage and a big Done; how to do
    it, what is recorded and Skip on tap."""
    log_url = link("patients:exercise_log", row["pk"])
    name = row["name"]
    several = (
        html_format(
            " · <strong>{}</strong>",
            gettext("%(done)s of %(total)s done") % {"done": row["done"], "total": row["sessions"]},
        )
        if row["several"]
        else ""
    )
    error_form = context.get("error_form")
    top_errors = error_form.top_errors if row["is_error"] and error_form is not None else None
    feedback = (
        html_format(
            '<details class="row-details">\n<summary>{}<span class="visually-hidden"> {}'
            "</span></summary>\n{}\n</details>",
            gettext("How did it go? (optional)"),
            name,
            _included(context, FEEDBACK, log=row["feedback_log"], item=row["item"]),
        )
        if row["feedback_log"]
        else ""
    )
    return html_format(
        '<li class="checklist-row" id="item-{}">\n'
        '<div class="d-flex align-items-center gap-2">\n'
        '<div class="row-thumb flex-shrink-0" aria-hidden="true">{}</div>\n'
        '<div class="flex-grow-1 min-width-0">\n'
        '<h3 class="h6 mb-0 row-name">{}{}</h3>\n'
        '<p class="small mb-0 row-dosage"><span class="dosage">{}</span>{}</p>\n'
        "</div>\n"
        '<div class="flex-shrink-0 row-action">\n{}\n</div>\n'
        "</div>\n{}{}{}\n"
        '<details class="row-details"{}>\n'
        '<summary>{}{}<span class="visually-hidden"> — {}</span></summary>\n'
        '<div class="pb-2">\n{}{}{}{}{}{}\n</div>\n'
        "</details>\n</li>",
        row["pk"],
        _thumb(row),
        name,
        SafeString(" ") + _included(context, OWN_BADGE, patient_view=True) if row["is_own"] else "",
        row["dosage"],
        several,
        _action(context, row, log_url),
        html_format(
            '<p class="alert alert-info py-2 mt-2 mb-0" data-testid="exercise-change">{} '
            '<span class="small">({})</span></p>\n',
            row["change"],
            date(row["changed_on"], "j M"),
        )
        if row["change"]
        else "",
        html_format(
            '<div class="alert alert-danger py-2 mt-2 mb-0" role="alert">{}</div>\n',
            html_join("", '<p class="mb-0">{}</p>', ((error,) for error in top_errors)),
        )
        if top_errors
        else "",
        feedback,
        " open" if row["is_error"] else "",
        gettext("How to do it"),
        " · " + gettext("skip or undo") if row["skip_or_undo"] else "",
        name,
        _picture(context, row),
        html_format(
            '<div class="exercise-why mt-2">{}</div>\n', linebreaks_filter(row["instructions"])
        )
        if row["show_instructions"]
        else "",
        _how_to(row),
        html_format(
            '<div class="border-start border-4 border-info ps-2 mb-2">\n'
            '<p class="fw-semibold mb-1">{}</p>\n{}\n</div>\n',
            gettext("From your clinician:"),
            linebreaks_filter(row["note"]),
        )
        if row["note"]
        else "",
        _logs(context, row),
        _skip_form(context, row, log_url),
    )
