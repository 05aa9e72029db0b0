""" "Where does it hurt?" (``/library/where/``): the clinician chooses areas of the body chart
and sees the muscles whose referral patterns cover them (trigger.chart.muscles_for_areas).

The selection lives in the GET query, so each area of the chart is a plain link that adds or
removes it, and the checkbox list beside it submits the same query: no JavaScript needed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from .chart import (
    always_shown_differentials,
    area_pairs,
    chart_areas,
    chart_views,
    muscles_for_areas,
)
from .forms import WhereForm
from .models import BodyArea
from .views import library_reader_required


def where_query(slugs: list[str]) -> str:
    return urlencode([("area", slug) for slug in slugs])


@library_reader_required
def where(request: HttpRequest) -> HttpResponse:
    form = WhereForm(request.GET or None)
    chosen = form.chosen()
    chosen_slugs = [area.slug for area in chosen]
    base = reverse("trigger:where")

    def toggle(area: BodyArea) -> str:
        slugs = [s for s in chosen_slugs if s != area.slug]
        if area.slug not in chosen_slugs:
            slugs.append(area.slug)
        query = where_query(slugs)
        return f"{base}?{query}#chart" if query else f"{base}#chart"

    areas = list(chart_areas())
    return render(
        request,
        "trigger/where.html",
        {
            "form": form,
            "chosen": chosen,
            "chart": chart_views(areas, marked=set(chosen_slugs), href=toggle),
            "pairs": area_pairs(areas, set(chosen_slugs)),
            "matches": muscles_for_areas(chosen),
            "always_shown": always_shown_differentials(chosen),
            "can_start_program": request.user.role == "clinician",
        },
    )
