"""seed_demo's questionnaires: each demo assignment asks the PSFS at the start, every three
weeks and at the end, and has the patient's answers for the occasions up to yesterday.

Most demo patients improve (their mean PSFS rises by about 3 points over the 90 days, a
change past the MCID of 2); a patient whose profile is a flare gets worse. The activities
are the demo patient's own words, named at the start and asked again each time. Written
in bulk, deterministic per username; an assignment that has a plan already gets nothing.
"""

from __future__ import annotations

import datetime
import random

from django.db.models import Exists, OuterRef

from patients.models import (
    Assignment,
    OutcomeAnswer,
    OutcomePlan,
    OutcomeResponse,
    ReminderSchedule,
)
from programs import weekdays
from trigger.models import Instrument

EVERY_WEEKS = 3
LOCAL_TIME = datetime.time(18, 30)
ACTIVITIES = ["Walking up stairs", "Walking for half an hour", "Standing at work"]


def seed_outcomes(
    *, assignment_ids: list[int], flare: set[int], yesterday: datetime.date, now
) -> int:
    """Plans and answers for the demo assignments without a plan; the number of
    questionnaires answered. ``flare``: assignment ids whose patient gets worse."""
    psfs = Instrument.objects.filter(slug="psfs").first()
    if psfs is None:
        return 0
    item = psfs.items.order_by("order").first()
    assignments = list(
        Assignment.objects.filter(pk__in=assignment_ids)
        .exclude(Exists(OutcomePlan.objects.filter(assignment=OuterRef("pk"))))
        .select_related("patient__user")
        .order_by("pk")
    )
    if not assignments or item is None:
        return 0
    plans = OutcomePlan.objects.bulk_create(
        OutcomePlan(
            assignment=assignment,
            at_start=True,
            every_weeks=EVERY_WEEKS,
            at_end=True,
            local_time=LOCAL_TIME,
        )
        for assignment in assignments
    )
    OutcomePlan.instruments.through.objects.bulk_create(
        OutcomePlan.instruments.through(outcomeplan_id=plan.pk, instrument_id=psfs.pk)
        for plan in plans
    )
    reminders = []
    responses: list[OutcomeResponse] = []
    ratings_of: list[list[int]] = []
    for plan in plans:
        assignment = plan.assignment
        reminders.append(
            ReminderSchedule(
                assignment=assignment,
                kind=ReminderSchedule.Kind.OUTCOME,
                local_time=LOCAL_TIME,
                original_local_time=LOCAL_TIME,
                weekdays=weekdays.ALL_DAYS,
                channel=ReminderSchedule.Channel.EMAIL,
                next_due_at=plan.next_due_after(now),
            )
        )
        rng = random.Random(f"seed_demo:outcomes:{assignment.patient.user.username}")
        worse = assignment.pk in flare
        occasions = [day for day in plan.occasions() if day <= yesterday]
        baseline_score = None
        for index, day in enumerate(occasions):
            progress = index / max(len(occasions) - 1, 1)
            centre = (5.0 - 3.0 * progress) if worse else (3.0 + 3.5 * progress)
            ratings = [max(0, min(10, round(centre + rng.uniform(-1.2, 1.2)))) for _ in ACTIVITIES]
            score = psfs.score(ratings)
            when = plan.due_at(day) + datetime.timedelta(minutes=rng.randint(5, 180))
            change = (
                "" if baseline_score is None else psfs.change(baseline=baseline_score, score=score)
            )
            baseline_score = score if baseline_score is None else baseline_score
            responses.append(
                OutcomeResponse(
                    patient_id=assignment.patient_id,
                    assignment=assignment,
                    instrument=psfs,
                    due_on=day,
                    answered_at=min(when, now),
                    score=score,
                    change=change,
                )
            )
            ratings_of.append(ratings)
    ReminderSchedule.objects.bulk_create(reminders)
    OutcomeResponse.objects.bulk_create(responses)
    OutcomeAnswer.objects.bulk_create(
        OutcomeAnswer(response=response, item=item, position=n, label=label, value=value)
        for response, ratings in zip(responses, ratings_of, strict=True)
        for n, (label, value) in enumerate(zip(ACTIVITIES, ratings, strict=True), start=1)
    )
    return len(responses)
