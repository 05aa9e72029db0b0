"""The patient's pain drawing over a period, for their clinician: how often each body chart
area was marked, when last, and which areas the latest drawing marked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from trigger.chart import ChartView, chart_areas, chart_views

from ..compiled import rows_for_ids
from ..models import PainLogArea, Patient


@dataclass(frozen=True)
class AreaTally:
    label: str
    slug: str
    count: int
    last: datetime.datetime


@dataclass(frozen=True)
class PainMap:
    chart: list[ChartView]  # empty when nothing was marked: the page draws no chart then
    tallies: list[AreaTally]  # most often marked first
    latest_at: datetime.datetime | None  # the latest drawing, its areas marked darker
    description: str


def pain_map(*, patient: Patient, start: datetime.date, end: datetime.date) -> PainMap:
    """The areas marked on the patient's pain logs from ``start`` to ``end`` (their local
    days, both included). Two queries, however many logs; one when nothing was marked
    (the chart's areas are not read: there is nothing to draw)."""
    zone = patient.zone
    since = datetime.datetime.combine(start, datetime.time(), tzinfo=zone)
    until = datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
    )

    def marked(ids: list[int]) -> QuerySet:
        return (
            PainLogArea.objects.filter(
                pain_log__patient_id__in=ids,
                pain_log__recorded_for__gte=since,
                pain_log__recorded_for__lt=until,
            )
            .values("area_id")
            .annotate(count=Count("pain_log", distinct=True), last=Max("pain_log__recorded_for"))
            .values_list("area_id", "count", "last")
        )

    # Compiled once per period and zone (``patients.compiled``).
    rows = {
        area_id: {"area_id": area_id, "count": count, "last": last}
        for area_id, count, last in rows_for_ids(("pain map", since, until), [patient.pk], marked)
    }
    if not rows:
        return PainMap(
            chart=[],
            tallies=[],
            latest_at=None,
            description=_("No places were marked on the body chart in this period."),
        )
    latest_log = max(row["last"] for row in rows.values())
    areas = list(chart_areas())
    latest = {
        area.slug for area in areas if area.pk in rows and rows[area.pk]["last"] == latest_log
    }
    counts = {area.slug: rows[area.pk]["count"] for area in areas if area.pk in rows}
    tallies = sorted(
        (
            AreaTally(
                label=area.label,
                slug=area.slug,
                count=rows[area.pk]["count"],
                last=rows[area.pk]["last"],
            )
            for area in areas
            if area.pk in rows
        ),
        key=lambda t: (-t.count, -t.last.timestamp(), t.label),
    )
    if tallies:
        description = _("Body chart of the places marked in this period: %(places)s.") % {
            "places": "; ".join(
                _("%(label)s, %(count)s times") % {"label": t.label, "count": t.count}
                for t in tallies
            )
        }
    else:
        description = _("No places were marked on the body chart in this period.")
    return PainMap(
        chart=chart_views(areas, marked=latest, counts=counts),
        tallies=tallies,
        latest_at=latest_log,
        description=description,
    )
