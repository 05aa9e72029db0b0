"""A patient's figures in HTML, shared by the dashboard's rows and the patient's story:
``{% load patient_cells %}``.

Each tag writes its HTML with ``patients.html`` (Django's ``format_html`` without its
per-call overhead, every value escaped the same way). They were template snippets; the dashboard
renders 50 rows of eight cells, and the template engine spent most of the page's time
resolving their variables and tags: 40 ms for 50 rows, against about 5 ms written here
(bench/README.md, "Pages at clinic scale"). What a row repeats is worked out once: the
links by URL name (``patients.html.link``), dates by value, zone and language
(``patients.html.date_text``), decimals by value and language (``_decimal``). The
wording is the same, marked for translation here.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

from django import template
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from ..clinical import PainChange
from ..html import date_text, html_format, html_join, link
from ..models import Alert, Assignment
from ..services.dashboard import DashboardRow
from ..services.progressions import Suggestion

register = template.Library()


@functools.lru_cache(maxsize=16)
def _words_in(language: str | None) -> SimpleNamespace:
    with translation.override(language):
        return SimpleNamespace(
            started_today=gettext("started today"),
            one_day_so_far=gettext("1 day so far"),
            of_sessions=gettext("%(logged)s of %(prescribed)s sessions"),
            of=gettext("%(logged)s of %(prescribed)s"),
            starts=gettext("starts %(day)s"),
            nothing_prescribed=gettext("nothing prescribed"),
            baseline_no_pain=gettext("baseline %(baseline)s; no pain logged in 7 days"),
            no_baseline=gettext("no baseline yet (3 pain logs needed)"),
            worse=gettext("worse"),
            better=gettext("better"),
            baseline=gettext("baseline %(baseline)s"),
            nothing_logged=gettext("nothing logged yet"),
            today=gettext("today"),
            yesterday=gettext("yesterday"),
            none=gettext("none"),
            no_program=gettext("No program assigned"),
            open_ended=gettext("open-ended"),
            # The choices' labels are lazy: made plain text here, in ``language``.
            status={value: str(label) for value, label in Assignment.Status.choices},
            severity={value: str(label) for value, label in Alert.Severity.choices},
        )


def _words() -> SimpleNamespace:
    """The cells' fixed words in the active language, translated once per language (a
    page of 50 rows would otherwise look each up 50 times)."""
    return _words_in(translation.get_language())


STATUS_BADGE = {
    Assignment.Status.ACTIVE: "text-bg-success",
    Assignment.Status.PAUSED: "text-bg-warning",
}
SEVERITY_BADGE = {
    Alert.Severity.URGENT: "text-bg-danger",
    Alert.Severity.HIGH: "text-bg-warning",
}
MUTED = '<span class="text-body-secondary{}">{}</span>'


@functools.lru_cache(maxsize=1024)
def _decimal_in(value: float, language: str | None) -> str:
    return floatformat(value, 1)


def _decimal(value: float) -> str:
    """``floatformat(value, 1)`` in the active language, once per value."""
    return _decimal_in(value, translation.get_language())


@register.simple_tag
def status_badge(assignment: Assignment) -> SafeString:
    """The program's status as a coloured badge: active, paused or ended."""
    return html_format(
        '<span class="badge {}">{}</span>',
        STATUS_BADGE.get(assignment.status, "text-bg-secondary"),
        _words().status.get(assignment.status, assignment.status),
    )


@register.simple_tag
def adherence_cell(row: DashboardRow, long: bool = False) -> SafeString:
    """The week's adherence, honest from day one: a program that started today or
    yesterday says so, with the sessions done. ``long`` for the story's wording."""
    if row.days_so_far is not None:
        done = row.sessions_so_far
        return html_format(
            '<span data-testid="days-so-far">{}</span> <span class="small">({})</span>',
            _words().started_today if row.days_so_far == 0 else _words().one_day_so_far,
            ngettext("%(done)s session done", "%(done)s sessions done", done) % {"done": done},
        )
    percent = row.adherence_percent
    if percent is not None:
        sessions = {"logged": row.sessions_logged, "prescribed": row.sessions_prescribed}
        if long:
            return html_format(
                '<span class="fs-5">{}%</span> <span class="small">({})</span>',
                percent,
                _words().of_sessions % sessions,
            )
        return html_format(
            '{}% <span class="small text-body-secondary">({})</span>',
            percent,
            _words().of % sessions,
        )
    if row.starts_later:
        day = date_text(row.program.starts_on)
        return html_format(MUTED, "", _words().starts % {"day": day})
    return html_format(MUTED, "", _words().nothing_prescribed)


@register.simple_tag
def pain_change_cell(change: PainChange | None, baseline: float | None) -> SafeString:
    """Current pain against the baseline; ▲/▼ and a badge once the change is clinically
    important (docs/clinical.md)."""
    if change is None:
        if baseline is not None:
            text = _words().baseline_no_pain % {"baseline": _decimal(baseline)}
        else:
            text = _words().no_baseline
        return html_format(MUTED, " small", text)
    worse, better = change.important and change.worsening, change.important and not change.worsening
    points = change.points
    figure = _signed(points, f"{points:.1f}")
    if change.percent is not None:
        figure += f" ({_signed(change.percent, f'{change.percent:d}')}%)"
    return html_format(
        '<span class="pain-change text-nowrap{}" data-testid="pain-change"{}>{}{}</span>\n{}\n'
        '<div class="small text-body-secondary">{}</div>',
        " text-danger fw-semibold" if worse else " text-success fw-semibold" if better else "",
        html_format(' data-important="{}"', "worse" if worse else "better")
        if change.important
        else "",
        html_format('<span aria-hidden="true">{}</span> ', "▲" if worse else "▼")
        if change.important
        else "",
        figure,
        html_format('<span class="badge text-bg-danger">{}</span>', _words().worse)
        if worse
        else html_format('<span class="badge text-bg-success">{}</span>', _words().better)
        if better
        else "",
        _words().baseline % {"baseline": _decimal(change.baseline)},
    )


def _signed(value: float, text: str) -> str:
    """``text`` without its minus, after a typographic sign: +1.5, −1.5, 0.0."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + text.replace("-", "")


@register.simple_tag
def last_activity_cell(row: DashboardRow) -> SafeString:
    """Days since the patient's last exercise or pain log."""
    days = row.days_inactive
    if days is None:
        return html_format('<span class="text-warning-emphasis">{}</span>', _words().nothing_logged)
    if days <= 0:
        text = _words().today
    elif days == 1:
        text = _words().yesterday
    else:
        text = ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}
    return html_format(
        '<span class="{}">{}</span>',
        "text-warning-emphasis fw-semibold" if row.inactive else "",
        text,
    )


@register.simple_tag
def alert_summary_cell(row: DashboardRow) -> SafeString:
    """A patient's open alerts: how many, the highest severity, which kinds."""
    if not row.open_alerts:
        return html_format(MUTED, " small", _words().none)
    count = row.open_alerts
    return html_format(
        '<span class="badge {}" data-testid="alert-severity">{}</span>\n'
        '<span class="small">{}</span>\n<ul class="list-unstyled small mb-0">{}</ul>',
        SEVERITY_BADGE.get(row.top_severity, "text-bg-info"),
        _words().severity.get(row.top_severity, row.top_severity_label),
        ngettext("%(count)s open alert", "%(count)s open alerts", count) % {"count": count},
        html_join("", '<li data-kind="{}">{}</li>', row.alert_kinds),
    )


@register.simple_tag
def dashboard_row(row: DashboardRow) -> SafeString:
    """One patient's line on the dashboard: name, program, adherence, last pain, the 7-day
    average, the change against baseline, last activity and open alerts."""
    patient = row.patient
    return html_format(
        '<tr data-patient="{}"{}>\n<th scope="row" class="fw-normal text-nowrap">'
        '<a href="{}">{}</a></th>\n{}\n<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n'
        "<td>{}</td>\n<td>{}</td>\n<td>{}</td>\n</tr>\n",
        patient.pk,
        html_format(' class="{}"', "table-danger") if row.urgent else "",
        link("patients:patient_detail", patient.pk),
        patient.name,
        _program_cell(row),
        adherence_cell(row),
        _last_pain_cell(row),
        _decimal(row.pain_average) if row.pain_average is not None else _NONE,
        pain_change_cell(row.change, row.baseline),
        last_activity_cell(row),
        alert_summary_cell(row),
    )


_NONE = html_format(MUTED, "", "–")


def _program_cell(row: DashboardRow) -> SafeString:
    assignment = row.program
    if assignment is None:
        return html_format('<td class="text-body-secondary">{}</td>', _words().no_program)
    others = row.other_programs
    return html_format(
        '<td>\n<a href="{}">{}</a>\n{}\n{}\n<div class="small text-body-secondary">{} – {}</div>\n'
        "</td>",
        link("patients:assignment_detail", assignment.pk),
        assignment.title,
        status_badge(assignment),
        html_format(
            '<span class="text-body-secondary small">{}</span>',
            ngettext("+ %(others)s more", "+ %(others)s more", others) % {"others": others},
        )
        if others
        else "",
        date_text(assignment.starts_on),
        date_text(assignment.ends_on) if assignment.ends_on else _words().open_ended,
    )


def _last_pain_cell(row: DashboardRow) -> SafeString:
    if row.last_pain_score is None:
        return _NONE
    return html_format(
        '<strong>{}</strong>/10 <span class="small text-body-secondary">{}</span>{}',
        row.last_pain_score,
        date_text(timezone.localtime(row.last_pain_at).date(), "MONTH_DAY_FORMAT"),
        html_format(
            '<span class="d-block small" data-testid="last-pain-where">{}</span>',
            row.last_pain_where,
        )
        if row.last_pain_where
        else "",
    )


@register.simple_tag(takes_context=True)
def suggestion_item(context, suggestion: Suggestion, back: str, show_patient: bool = False):
    """One suggested change as a card: whose exercise (on the dashboard), what was
    reported, and the button that makes the change (a form with the page's CSRF token) or,
    for a lower dosage, the link to the exercise's form."""
    item = suggestion.item
    if suggestion.change == "dosage":
        action = html_format(
            '<a class="btn btn-sm btn-outline-primary" href="{}">{}</a>',
            link("patients:assignment_item_edit", item.pk),
            suggestion.action,
        )
    else:
        action = html_format(
            '<form method="post" action="{}">\n'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">\n'
            '<input type="hidden" name="back" value="{}">\n'
            '<button type="submit" name="change" value="{}" class="btn btn-sm btn-primary">'
            "{}</button>\n</form>",
            link("patients:assignment_item_change", item.pk),
            context.get("csrf_token", ""),
            back,
            suggestion.change,
            suggestion.action,
        )
    whose = (
        html_format(
            '<a href="{}">{}</a>: ',
            link("patients:patient_detail", item.assignment.patient_id),
            item.assignment.patient.name,
        )
        if show_patient
        else ""
    )
    return html_format(
        '<li class="card mb-2" data-testid="suggestion">\n'
        '<div class="card-body d-flex flex-wrap align-items-center gap-2">\n'
        '<p class="mb-0 me-auto">\n{}\n{}\n</p>\n{}\n</div>\n</li>\n',
        whose,
        suggestion.message,
        action,
    )
