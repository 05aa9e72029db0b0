"""Bad input, generated, on the outcome-measure forms: the patient's questionnaire (the
PSFS, first time and follow-up) and the clinician's choice of questionnaires.

Never a 500; a refused form saves nothing; an accepted questionnaire saves one whole
response (3 to 5 activities, each rated 0-10, the score their mean) and a second submit
of the same occasion saves nothing more; typed HTML never comes back unescaped.
Helpers and values are tests/security/test_forms_hypothesis.py's.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from patients.models import OutcomeAnswer, OutcomePlan, OutcomeResponse, ReminderSchedule
from patients.services.outcomes import (
    Answer,
    DueQuestionnaire,
    outcome_plan_save,
    outcome_response_record,
)
from tests.security.test_forms_hypothesis import (
    FAST,
    HTML,
    NUMBER,
    TEXT,
    TIMES,
    FormCase,
    form_data,
)
from trigger.instruments_load import instruments_load
from trigger.models import Instrument

RATING = st.one_of(st.integers(-2, 12).map(str), NUMBER)
ACTIVITY = st.one_of(st.sampled_from(["Stairs", "Walking", "Kneeling", "stairs "]), TEXT, HTML)


def outcome_counts() -> tuple[int, int, int, int]:
    return (
        OutcomePlan.objects.count(),
        OutcomeResponse.objects.count(),
        OutcomeAnswer.objects.count(),
        ReminderSchedule.objects.count(),
    )


class OutcomeCase(FormCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        instruments_load()
        cls.psfs = Instrument.objects.get(slug="psfs")
        cls.plan = outcome_plan_save(
            assignment=cls.side.assignment,
            instruments=[cls.psfs],
            at_start=True,
            every_weeks=2,
            at_end=False,
            local_time=datetime.time(0, 0),
        )
        cls.url = reverse("patients:questionnaire", args=[cls.side.assignment.pk, "psfs"])


class TestQuestionnaireForm(OutcomeCase):
    @FAST
    @given(
        form_data(
            **{f"activity_{n}": ACTIVITY for n in range(1, 6)},
            **{f"rating_{n}": RATING for n in range(1, 6)},
        )
    )
    @example({"activity_1": "Stairs", "rating_1": "3"})
    @example(
        {
            "activity_1": "<script data-hx>x</script>",
            "rating_1": "4",
            "activity_2": "Walking",
            "rating_2": "10",
            "activity_3": "Kneeling",
            "rating_3": "0",
        }
    )
    @example(
        {
            "activity_1": "Stairs",
            "rating_1": "11",
            "activity_2": "Walking",
            "rating_2": "1",
            "activity_3": "Kneeling",
            "rating_3": "1",
        }
    )
    def test_the_first_psfs(self, data):
        self.as_user(self.side.patient_user)
        before = outcome_counts()

        response = self.client.post(self.url, data)

        self.check_page(response)
        if response.status_code != 302 or not OutcomeResponse.objects.exists():
            assert outcome_counts() == before
            return
        saved = OutcomeResponse.objects.get()
        answers = list(saved.answers.all())
        assert 3 <= len(answers) <= 5
        assert all(0 <= a.value <= 10 and a.label and "\x00" not in a.label for a in answers)
        assert saved.score == self.psfs.score([a.value for a in answers])
        assert len({a.label.casefold() for a in answers}) == len(answers)
        # The same form again (a double tap, a resend): nothing more is saved.
        again = self.client.post(self.url, data)
        self.check_page(again)
        assert OutcomeResponse.objects.count() == 1
        assert OutcomeAnswer.objects.count() == len(answers)

    @FAST
    @given(form_data(**{f"rating_{n}": RATING for n in range(1, 6)}, activity_1=ACTIVITY))
    def test_a_follow_up_psfs(self, data):
        # The baseline two weeks ago named three activities: the follow-up rates those.
        today = self.side.patient.local_today()
        item = self.psfs.items.get()
        self.side.assignment.starts_on = today - datetime.timedelta(weeks=2)
        self.side.assignment.save(update_fields=["starts_on"])
        outcome_response_record(
            patient=self.side.patient,
            due=DueQuestionnaire(
                assignment=self.side.assignment,
                instrument=self.psfs,
                due_on=self.side.assignment.starts_on,
            ),
            answers=[Answer(item=item, value=4, label=label) for label in ("A", "B", "C")],
        )
        self.as_user(self.side.patient_user)
        before = outcome_counts()

        response = self.client.post(self.url, data)

        self.check_page(response)
        follow_up = OutcomeResponse.objects.filter(due_on=today).first()
        if follow_up is None:
            assert outcome_counts() == before
            return
        assert list(follow_up.answers.values_list("label", flat=True)) == ["A", "B", "C"]
        values = [int(data[f"rating_{n}"]) for n in (1, 2, 3)]
        assert follow_up.score == self.psfs.score(values)
        assert follow_up.score >= Decimal(0)


class TestOutcomePlanForm(OutcomeCase):
    @FAST
    @given(
        form_data(
            instruments=st.one_of(st.just("psfs-pk"), NUMBER),
            at_start=st.sampled_from(["on", "", "true", "false"]),
            every_weeks=NUMBER,
            at_end=st.sampled_from(["on", ""]),
            local_time=TIMES,
        )
    )
    @example({"instruments": "psfs-pk", "every_weeks": "27", "local_time": "08:00"})
    @example({"instruments": "psfs-pk", "every_weeks": "0", "local_time": "08:00"})
    def test_the_plan(self, data):
        if data.get("instruments") == "psfs-pk":
            data["instruments"] = str(self.psfs.pk)
        self.as_user(self.side.clinician)
        plan_before = OutcomePlan.objects.filter(pk=self.plan.pk).values().first()
        before = outcome_counts()
        url = reverse("patients:assignment_outcomes", args=[self.side.assignment.pk])

        response = self.client.post(url, data)

        self.check_page(response)
        if response.status_code != 302:
            assert outcome_counts() == before
            assert OutcomePlan.objects.filter(pk=self.plan.pk).values().first() == plan_before
            return
        plan = OutcomePlan.objects.filter(assignment=self.side.assignment).first()
        if plan is not None:
            assert plan.every_weeks is None or 1 <= plan.every_weeks <= 26
            assert plan.at_start or plan.every_weeks or plan.at_end
            reminder = ReminderSchedule.objects.get(
                assignment=self.side.assignment, kind=ReminderSchedule.Kind.OUTCOME
            )
            assert reminder.local_time == plan.local_time
        else:
            assert not ReminderSchedule.objects.filter(
                assignment=self.side.assignment, kind=ReminderSchedule.Kind.OUTCOME
            ).exists()
