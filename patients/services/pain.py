"""Pain logs and the safety screen that comes with each (docs/clinical.md, red flags).

A "yes" to any safety question never stops the log being saved: in the same transaction it
raises an urgent alert for their clinician and puts the exercises on hold (services.hold).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from trigger.models import BodyArea, BodyRegion, Differential

from ..models import Alert, PainLog, PainLogArea, Patient
from ..schedule import local_to_utc
from ..tasks import notify_clinician_of_alert
from .attention import attention_refresh
from .hold import hold_start

# The safety questions ask about signs of a blood clot (deep vein thrombosis, and a
# pulmonary embolism when it reaches the lungs): the library's urgent differentials whose
# name says so are the ones the advice page names.
CLOT_WORDS = ("thrombosis", "embolism")


def referral_regions():
    """The library's body regions that some muscle refers pain to, in the library's order."""
    return BodyRegion.objects.filter(zones__isnull=False).distinct().order_by("order", "name")


def region_and_side_for(areas: list[BodyArea]) -> tuple[BodyRegion | None, str]:
    """The library region of the first marked area (in chart order) and the side of all the
    marked areas: left, right, or both when areas on each side were marked."""
    region = (
        BodyRegion.objects.filter(areas__in=[a.pk for a in areas]).order_by("order", "name").first()
    )
    sides = {area.side for area in areas if area.lateral}
    if sides == {BodyArea.Side.LEFT}:
        side = PainLog.Side.LEFT
    elif sides == {BodyArea.Side.RIGHT}:
        side = PainLog.Side.RIGHT
    elif sides:
        side = PainLog.Side.BOTH
    else:
        side = ""
    return region, side


def _recorded_for(*, patient: Patient, now: datetime.datetime, yesterday: bool):
    if not yesterday:
        return now
    zone = patient.zone
    local = now.astimezone(zone).replace(tzinfo=None)
    # The same wall-clock time the day before, DST-correct.
    return local_to_utc(local - datetime.timedelta(days=1), zone)


def red_flag_answers(log: PainLog) -> list[str]:
    """The safety questions answered "yes", in plain words, for the clinician's alert."""
    answers = []
    if log.calf_swollen_warm_red:
        answers.append(_("one calf newly swollen, warm or red"))
    if log.chest_symptoms:
        answers.append(_("new shortness of breath, chest pain or coughing up blood"))
    if log.recent_immobilisation:
        answers.append(_("recent surgery, a cast or a long time immobile"))
    return answers


def _alert_message(log: PainLog) -> str:
    where = log.where
    message = _("Safety screen: the patient answered yes to %(answers)s.") % {
        "answers": "; ".join(red_flag_answers(log))
    }
    message += " " + _("Pain %(score)s/10%(where)s. Exercise reminders paused.") % {
        "score": log.score,
        "where": f" ({where})" if where else "",
    }
    return message[:500]


@transaction.atomic
def pain_log_record(
    *,
    patient: Patient,
    score: int,
    region: BodyRegion | None = None,
    region_other: str = "",
    side: str = "",
    areas: list[BodyArea] | None = None,
    timing: str = "",
    note: str = "",
    yesterday: bool = False,
    calf_swollen_warm_red: bool | None = None,
    chest_symptoms: bool | None = None,
    recent_immobilisation: bool | None = None,
    now: datetime.datetime | None = None,
    notify_clinician: bool = True,
) -> PainLog:
    """Save a pain score with the safety screen's answers (None: not answered).

    A red flag raises an urgent alert, each red flag its own (no de-duplication), and puts
    the patient's exercises on hold (``services.hold``): their reminders pause, not the
    pain check-ins (the clinician still wants to hear how they are). The clinician is
    emailed about the alert unless ``notify_clinician`` is False (demo data).
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError("score must be an integer from 0 to 10")
    # The pain drawing: areas marked on the body chart say where (and which side) it hurts;
    # the region and side are derived from them, so summaries by region keep working.
    areas = sorted(set(areas or []), key=lambda a: (a.view, a.order, a.side, a.slug))
    if areas:
        region, side = region_and_side_for(areas)
    # The side belongs to a region that has one, or to the marked areas; else it is empty.
    if not areas:
        side = side if region is not None and region.lateral else ""
    if side not in ("", *PainLog.Side.values):
        raise ValueError("side must be left, right or both")
    now = now or timezone.now()
    recorded_for = _recorded_for(patient=patient, now=now, yesterday=yesterday)
    local_day = recorded_for.astimezone(patient.zone).date()
    log = PainLog.objects.create(
        patient=patient,
        assignment=patient.assignments.latest_current_on(local_day),
        score=score,
        region=region,
        region_other="" if region and not areas else region_other.strip(),
        areas_text="; ".join(area.label for area in areas)[:1000],
        side=side,
        timing=timing,
        note=note,
        recorded_for=recorded_for,
        is_late=yesterday,
        calf_swollen_warm_red=calf_swollen_warm_red,
        chest_symptoms=chest_symptoms,
        recent_immobilisation=recent_immobilisation,
    )
    PainLogArea.objects.bulk_create(PainLogArea(pain_log=log, area=area) for area in areas)
    if log.has_red_flag:
        alert = Alert.objects.create(
            patient=patient,
            kind=Alert.Kind.RED_FLAG,
            severity=Alert.Severity.URGENT,
            message=_alert_message(log),
            pain_log=log,
        )
        # The exercises go on hold (and their reminders pause) until the clinician resumes.
        hold_start(patient=patient, alert=alert, now=now)
        # The dashboard shows it at once; an email makes sure the clinician looks today.
        if notify_clinician:
            notify_clinician_of_alert.delay_on_commit(alert.pk)
    # The dashboard's kept order: the last activity, and the red flag if there was one.
    attention_refresh(patient_ids=[patient.pk])
    return log


@dataclass(frozen=True)
class UrgentAdvice:
    """What the result page says after a red flag, first and before anything else."""

    emergency: bool  # chest symptoms: call the emergency number now
    same_day: bool  # calf or immobilisation: stop and contact a doctor today
    differentials: list[Differential]


def urgent_advice_for(log: PainLog) -> UrgentAdvice | None:
    """The advice a red-flag log calls for, with the library's urgent differentials it
    points to (one per condition name, whichever muscle it is filed under); None when no
    question was answered yes."""
    if not log.has_red_flag:
        return None
    clot = Q()
    for word in CLOT_WORDS:
        clot |= Q(name__icontains=word)
    seen: set[str] = set()
    differentials = []
    for differential in Differential.objects.filter(clot, urgent=True).order_by("order", "id"):
        key = differential.name.strip().lower()
        if key not in seen:
            seen.add(key)
            differentials.append(differential)
    return UrgentAdvice(
        emergency=bool(log.chest_symptoms),
        same_day=bool(log.calf_swollen_warm_red or log.recent_immobilisation),
        differentials=differentials,
    )
