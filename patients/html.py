"""HTML written in Python, for what a page repeats many times (the dashboard's rows, the
chart's points, the Today page's exercises): ``format_html`` and ``format_html_join`` with
the same escaping, without their per-call overhead, links to an object's page resolved
once per URL name (``link``), and dates as the ``date`` filter writes them, worked out
once per value (``date_text``).

Django's ``format_html`` passes each value through ``conditional_escape``, wrapped to
accept lazy strings, and through ``str.format``. A dashboard of 50 rows calls it ~800
times and the pain chart ~300: the wrappers cost more than the escaping
(bench/README.md). Here a value with ``__html__`` (a safe string) is kept as it is and any
other is escaped with ``html.escape`` after ``str()``, as Django does;
tests/patients/test_patient_cells.py holds the output equal to ``format_html``'s.
"""

from __future__ import annotations

import datetime
import functools
import html
from collections.abc import Iterable

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString


def escaped(value: object) -> str:
    """``value`` as HTML: Django's ``conditional_escape``."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def html_format(template: str, *values: object) -> SafeString:
    """``format_html(template, *values)``: the template is trusted, each value escaped."""
    return SafeString(template.format(*map(escaped, values)))


def html_join(separator: str, template: str, rows: Iterable[tuple]) -> SafeString:
    """``format_html_join(separator, template, rows)``."""
    return SafeString(escaped(separator).join(template.format(*map(escaped, row)) for row in rows))


PK_SLOT = 2_147_483_647  # a primary key no row has: its place in a link is filled per row


@functools.lru_cache(maxsize=64)
def _link_parts(name: str, prefix: str, urlconf: str | None) -> tuple[str, str] | None:
    path = reverse(name, urlconf=urlconf, kwargs={"pk": PK_SLOT})
    before, slot, after = path.partition(str(PK_SLOT))
    return (before, after) if slot and str(PK_SLOT) not in after else None


def link(name: str, pk: int) -> str:
    """``reverse(name, kwargs={"pk": pk})``, resolved once per URL name (and script
    prefix): a page of 50 rows links each patient and program."""
    parts = _link_parts(name, get_script_prefix(), get_urlconf())
    if parts is None:  # the pattern does not hold the key plainly
        return reverse(name, kwargs={"pk": pk})
    return f"{parts[0]}{int(pk)}{parts[1]}"


@functools.lru_cache(maxsize=4096)
def _date_text_in(value: datetime.date, zone: str, format_name: str, language: str | None) -> str:
    return date_format(value, format_name)


def date_text(value: datetime.date, format_name: str = "DATE_FORMAT") -> str:
    """``{{ value|date:format_name }}``: an aware datetime in the active time zone, in the
    active language; worked out once per value, zone, format and language (a page shows
    the same days and logs at every visit). The zone's name is part of the key: two aware
    datetimes in different zones compare equal."""
    zone = ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
        zone = str(value.tzinfo)
    return _date_text_in(value, zone, format_name, translation.get_language())
