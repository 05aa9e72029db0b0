"""Bad input, generated, for the body chart's forms: the pain drawing (areas on a pain log),
"where does it hurt?" and the builder's area filter. Never a 500, nothing unescaped, a
refused pain log saves nothing, an accepted one marks only real areas with a consistent
side (see tests/security/test_forms_hypothesis.py for the approach)."""

from __future__ import annotations

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from patients.models import PainLog, PainLogArea
from tests.security.test_forms_hypothesis import (
    FAST,
    PAIN_ANSWERED,
    TEXT,
    FormCase,
    counts,
    form_data,
    no_nul,
)
from trigger.chart import body_chart_load
from trigger.models import BodyArea, BodyRegion

SLUGS = ["back-of-calf-left", "back-of-calf-right", "heel-and-sole-left", "back-of-neck"]
AREA = st.one_of(st.sampled_from(SLUGS), TEXT)
AREAS = st.one_of(AREA, st.lists(AREA, min_size=1, max_size=5))


class ChartCase(FormCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        body_chart_load()
        calf = BodyRegion.objects.create(slug="back-of-calf", name="Back of calf", lateral=True)
        calf.areas.set(BodyArea.objects.filter(slug__startswith="back-of-calf-"))


class TestPainDrawing(ChartCase):
    @FAST
    @given(
        form_data(
            score=st.one_of(st.integers(0, 10).map(str), TEXT),
            areas=AREAS,
            region_other=TEXT,
            side=st.one_of(st.sampled_from(["left", "right", "both"]), TEXT),
            calf_swollen_warm_red=st.just("False"),
            chest_symptoms=st.just("False"),
            recent_immobilisation=st.just("False"),
        )
    )
    @example({**PAIN_ANSWERED, "score": "5", "areas": ["back-of-calf-left", "<script data-hx>"]})
    @example({**PAIN_ANSWERED, "score": "5", "areas": ["back-of-calf-left", "back-of-calf-right"]})
    @example({**PAIN_ANSWERED, "score": "5", "areas": "back-of-neck", "side": "left"})
    def test_pain_log_with_areas(self, data):
        self.as_user(self.side.patient_user)
        before, marks = counts(), PainLogArea.objects.count()

        response = self.client.post(reverse("patients:pain"), data)

        self.check_page(response)
        if self.refused_saves_nothing(response, before):
            assert PainLogArea.objects.count() == marks
            return
        log = PainLog.objects.latest("id")
        posted = data.get("areas", [])
        posted = [posted] if isinstance(posted, str) else posted
        slugs = sorted(a.slug for a in log.areas.all())
        assert set(slugs) <= set(SLUGS) and set(slugs) == set(posted) & set(SLUGS)
        if slugs:
            sides = {slug.rsplit("-", 1)[1] for slug in slugs} & {"left", "right"}
            expected = {frozenset(): "", frozenset({"left"}): "left"}.get(frozenset(sides))
            expected = (
                expected if expected is not None else ("right" if sides == {"right"} else "both")
            )
            assert log.side == expected
            assert log.areas_text.count(";") == len(slugs) - 1
        no_nul(log)


class TestWhereSearch(ChartCase):
    @FAST
    @given(form_data(area=AREAS))
    @example({"area": ["back-of-calf-left", '"><img data-hx src=x onerror=alert(1)>']})
    def test_where(self, data):
        self.as_user(self.side.clinician)
        response = self.client.get(reverse("trigger:where"), data)
        self.check_page(response)
        assert response.status_code in (200, 400)  # 400: a NUL in the query (request_guards)

    @FAST
    @given(form_data(area=AREAS, q=TEXT))
    def test_builder_area_filter(self, data):
        self.as_user(self.side.clinician)
        response = self.client.get(reverse("programs:detail", args=[self.side.program.pk]), data)
        self.check_page(response)
        assert response.status_code in (200, 400)  # 400: a NUL in the query (request_guards)
