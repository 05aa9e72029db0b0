"""The rows the patient's story repeats, written in Python: ``{% load story_rows %}``.

The story shows the latest 20 pain logs, each program's exercises with what the patient
reported, and each questionnaire's scores and activities over time. As template loops
those rows were most of the page's rendering (~9 of 15 ms, bench/README.md, "The fourth
pass"): the engine resolves every variable and tag of every row. Here each row is
written with ``patients.html`` (every value escaped as ``format_html`` does, shown as the
template shows it: ``_shown``), in the same words, marked for translation, and the same
HTML the templates wrote. The tables around them (headings, captions, the empty case)
stay in the snippets.

What the rows say is pinned by tests/patients/test_patient_story.py,
tests/patients/test_story_rows.py and the questionnaire tests; their accessibility by
the browser tests (tests/e2e).
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django import template
from django.template.defaultfilters import floatformat, linebreaksbr
from django.utils import translation
from django.utils.formats import localize
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from ..html import date_text, escaped, html_format, html_join

if TYPE_CHECKING:
    from ..models import PainLog
    from ..outcome_charts import OutcomePanel
    from ..services.outcomes import ActivityRow
    from ..services.story import ItemFeedback

register = template.Library()


@functools.lru_cache(maxsize=16)
def _words_in(language: str | None) -> SimpleNamespace:
    with translation.override(language):
        return SimpleNamespace(
            added_later=gettext("added later"),
            red_flag=gettext("red flag"),
            replaced_on=gettext("replaced on %(day)s"),
            not_asked=gettext("not asked"),
            better=gettext("Better"),
            worse=gettext("Worse"),
            no_change=gettext("no change that matters"),
        )


def _words() -> SimpleNamespace:
    """The rows' fixed words in the active language, translated once per language."""
    return _words_in(translation.get_language())


def _shown(value: object) -> SafeString:
    """``{{ value }}``: localized (numbers, dates) and escaped, as the template shows it."""
    return SafeString(escaped(localize(value)))


# --- the latest pain logs (story_notes.html) -------------------------------------------------


@register.simple_tag
def pain_log_rows(logs: list[PainLog]) -> SafeString:
    """One row per pain log: when (in the active time zone, the patient's on the story),
    the score with its red flag, where and when in the day, the patient's note."""
    words = _words()
    return html_join(
        "\n        ",
        "<tr{}>\n"
        '          <td class="text-nowrap">{}{}</td>\n'
        "          <td>{}{}</td>\n"
        "          <td>{}{}</td>\n"
        "          <td>{}</td>\n"
        "        </tr>",
        (
            (
                SafeString(' class="table-danger"') if log.has_red_flag else "",
                date_text(log.recorded_for, "DATETIME_FORMAT"),
                html_format(
                    ' <span class="small text-body-secondary">({})</span>', words.added_later
                )
                if log.is_late
                else "",
                _shown(log.score),
                html_format(' <span class="badge text-bg-danger">{}</span>', words.red_flag)
                if log.has_red_flag
                else "",
                _shown(log.where),
                html_format(
                    ' <span class="small text-body-secondary">{}</span>',
                    str(log.timing_label).lower(),
                )
                if log.timing
                else "",
                linebreaksbr(log.note, autoescape=True),
            )
            for log in logs
        ),
    )


# --- each program's exercises (story_program.html) -------------------------------------------


def _dosage(item) -> SafeString:
    """What patients/snippets/dosage.html writes."""
    words = item.dosage_words
    return html_format(
        '<span class="dosage">{}{}</span>',
        f"{words} · " if words else "",
        item.days_words,
    )


@register.simple_tag
def feedback_rows(feedback: list[ItemFeedback]) -> SafeString:
    """One row per exercise of a program: its name with what changed, its dosage, and
    what the patient reported over all its sessions."""
    words = _words()

    def name(item) -> SafeString:
        change = (
            html_format(' <span class="badge text-bg-info">{}</span>', item.change_label)
            if item.change
            else ""
        )
        replaced = (
            html_format(
                ' <span class="badge text-bg-secondary">{}</span>',
                words.replaced_on % {"day": date_text(item.replaced_on, "j M Y")},
            )
            if item.is_replaced
            else ""
        )
        return html_format("{}{}{}", item.name, change, replaced)

    return html_join(
        "\n          ",
        "<tr>\n"
        '            <th scope="row" class="fw-normal">{}</th>\n'
        '            <td class="small">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        '            <td class="text-end">{}</td>\n'
        "          </tr>",
        (
            (
                name(row.item),
                _dosage(row.item),
                _shown(row.done),
                _shown(row.skipped),
                _shown(row.too_easy),
                _shown(row.about_right),
                _shown(row.too_hard),
                floatformat(row.pain_during, 1) if row.pain_during is not None else "–",
            )
            for row in feedback
        ),
    )


# --- questionnaire scores (outcome_results.html) ---------------------------------------------

CHANGE_CLASS = {"improved": "text-success fw-semibold", "worse": "text-danger fw-semibold"}
CHANGE_ARROW = {
    "improved": SafeString('<span aria-hidden="true">▲ </span>'),
    "worse": SafeString('<span aria-hidden="true">▼ </span>'),
}


@register.simple_tag
def outcome_score_rows(panel: OutcomePanel) -> SafeString:
    """One row per answered questionnaire: the day, the score, the change from the
    baseline in words (▲ better, ▼ worse by at least the smallest change that matters)."""
    return html_join(
        "\n          ",
        '<tr data-status="{}">\n'
        '            <th scope="row" class="fw-normal">{}</th>\n'
        "            <td>{}</td>\n"
        '            <td class="{}">{}{}</td>\n'
        "          </tr>",
        (
            (
                row.status,
                date_text(row.day, "j M Y"),
                _shown(row.score),
                CHANGE_CLASS.get(row.status, ""),
                CHANGE_ARROW.get(row.status, ""),
                _shown(row.words),
            )
            for row in panel.rows
        ),
    )


def _activity_value(value: int | None) -> SafeString:
    if value is None:
        return html_format(
            '<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>',
            _words().not_asked,
        )
    return _shown(value)


def _activity_change(change: str) -> SafeString:
    words = _words()
    if change == "improved":
        return html_format("{}", words.better)
    if change == "worse":
        return html_format("{}", words.worse)
    return html_format(
        '<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>',
        words.no_change,
    )


@register.simple_tag
def outcome_activity_rows(activities: list[ActivityRow]) -> SafeString:
    """One row per activity the patient named (patient-specific scales): its score at
    each questionnaire, then whether it changed by at least what matters."""
    return html_join(
        "\n        ",
        '<tr data-status="{}">\n'
        '          <th scope="row" class="fw-normal">{}</th>\n'
        "          {}\n"
        '          <td class="{}">{}</td>\n'
        "        </tr>",
        (
            (
                activity.change,
                activity.label,
                SafeString(
                    "".join(f"<td>{_activity_value(value)}</td>" for value in activity.values)
                ),
                CHANGE_CLASS.get(activity.change, ""),
                _activity_change(activity.change),
            )
            for activity in activities
        ),
    )
