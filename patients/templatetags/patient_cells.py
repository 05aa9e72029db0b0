"""The cells of a patient's figures, shared by the dashboard's rows and the patient's story:
``{% load patient_cells %}``.

Each tag writes one cell's HTML with ``format_html`` (every value escaped). They were
template snippets; the dashboard renders 50 rows of five of them, and the template engine
spent most of the page's time resolving their variables and tags (bench/README.md, "Pages
at clinic scale"). The wording is the same, marked for translation here.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from ..clinical import PainChange
from ..models import Alert, Assignment
from ..services.dashboard import DashboardRow

register = template.Library()

STATUS_BADGE = {
    Assignment.Status.ACTIVE: "text-bg-success",
    Assignment.Status.PAUSED: "text-bg-warning",
}
SEVERITY_BADGE = {
    Alert.Severity.URGENT: "text-bg-danger",
    Alert.Severity.HIGH: "text-bg-warning",
}
MUTED = '<span class="text-body-secondary{}">{}</span>'


@register.simple_tag
def status_badge(assignment: Assignment) -> SafeString:
    """The program's status as a coloured badge: active, paused or ended."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGE.get(assignment.status, "text-bg-secondary"),
        assignment.get_status_display(),
    )


@register.simple_tag
def adherence_cell(row: DashboardRow, long: bool = False) -> SafeString:
    """The week's adherence, honest from day one: a program that started today or
    yesterday says so, with the sessions done. ``long`` for the story's wording."""
    if row.days_so_far is not None:
        done = row.sessions_so_far
        return format_html(
            '<span data-testid="days-so-far">{}</span> <span class="small">({})</span>',
            gettext("started today") if row.days_so_far == 0 else gettext("1 day so far"),
            ngettext("%(done)s session done", "%(done)s sessions done", done) % {"done": done},
        )
    percent = row.adherence_percent
    if percent is not None:
        sessions = {"logged": row.sessions_logged, "prescribed": row.sessions_prescribed}
        if long:
            return format_html(
                '<span class="fs-5">{}%</span> <span class="small">({})</span>',
                percent,
                gettext("%(logged)s of %(prescribed)s sessions") % sessions,
            )
        return format_html(
            '{}% <span class="small text-body-secondary">({})</span>',
            percent,
            gettext("%(logged)s of %(prescribed)s") % sessions,
        )
    if row.starts_later:
        day = date_format(row.program.starts_on, "DATE_FORMAT")
        return format_html(MUTED, "", gettext("starts %(day)s") % {"day": day})
    return format_html(MUTED, "", gettext("nothing prescribed"))


@register.simple_tag
def pain_change_cell(change: PainChange | None, baseline: float | None) -> SafeString:
    """Current pain against the baseline; ▲/▼ and a badge once the change is clinically
    important (docs/clinical.md)."""
    if change is None:
        if baseline is not None:
            text = gettext("baseline %(baseline)s; no pain logged in 7 days") % {
                "baseline": floatformat(baseline, 1)
            }
        else:
            text = gettext("no baseline yet (3 pain logs needed)")
        return format_html(MUTED, " small", text)
    worse, better = change.important and change.worsening, change.important and not change.worsening
    points = change.points
    figure = _signed(points, f"{points:.1f}")
    if change.percent is not None:
        figure += f" ({_signed(change.percent, f'{change.percent:d}')}%)"
    return format_html(
        '<span class="pain-change text-nowrap{}" data-testid="pain-change"{}>{}{}</span>\n{}\n'
        '<div class="small text-body-secondary">{}</div>',
        " text-danger fw-semibold" if worse else " text-success fw-semibold" if better else "",
        format_html(' data-important="{}"', "worse" if worse else "better")
        if change.important
        else "",
        format_html('<span aria-hidden="true">{}</span> ', "▲" if worse else "▼")
        if change.important
        else "",
        figure,
        format_html('<span class="badge text-bg-danger">{}</span>', gettext("worse"))
        if worse
        else format_html('<span class="badge text-bg-success">{}</span>', gettext("better"))
        if better
        else "",
        gettext("baseline %(baseline)s") % {"baseline": floatformat(change.baseline, 1)},
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
        return format_html(
            '<span class="text-warning-emphasis">{}</span>', gettext("nothing logged yet")
        )
    if days <= 0:
        text = gettext("today")
    elif days == 1:
        text = gettext("yesterday")
    else:
        text = ngettext("%(days)s day ago", "%(days)s days ago", days) % {"days": days}
    return format_html(
        '<span class="{}">{}</span>',
        "text-warning-emphasis fw-semibold" if row.inactive else "",
        text,
    )


@register.simple_tag
def alert_summary_cell(row: DashboardRow) -> SafeString:
    """A patient's open alerts: how many, the highest severity, which kinds."""
    if not row.open_alerts:
        return format_html(MUTED, " small", gettext("none"))
    count = row.open_alerts
    return format_html(
        '<span class="badge {}" data-testid="alert-severity">{}</span>\n'
        '<span class="small">{}</span>\n<ul class="list-unstyled small mb-0">{}</ul>',
        SEVERITY_BADGE.get(row.top_severity, "text-bg-info"),
        row.top_severity_label,
        ngettext("%(count)s open alert", "%(count)s open alerts", count) % {"count": count},
        format_html_join("", '<li data-kind="{}">{}</li>', row.alert_kinds),
    )
