"""Questionnaire answers in the patient's exports (patients/exports.py calls these).

CSV: one row per answered questionnaire, on the day it was answered, with its score, the
change from the baseline and each answer ("Stairs: 4; Walking: 6").

FHIR R4: each instrument answered is a ``Questionnaire`` (its questions; for a
patient-specific one such as the PSFS a repeating group of an activity's name and its
rating) and each answered questionnaire a ``QuestionnaireResponse`` pointing at it, with
the score as a read-only item.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from trigger.models import Instrument, InstrumentItem

from .exports import fhir_instant, fhir_urn
from .models import OutcomeResponse, Patient

SCORE_LINK = "score"
ACTIVITY_LINK = "activity"


def csv_columns() -> list[str]:
    return [_("questionnaire"), _("score"), _("change from baseline"), _("answers")]


def _responses(patient: Patient):
    return (
        OutcomeResponse.objects.filter(patient=patient)
        .select_related("instrument", "assignment")
        .prefetch_related("answers__item__options")
        .order_by("answered_at", "id")
    )


def csv_rows(patient: Patient, zone, *, width: int) -> Iterator[tuple]:
    """(sort key, row) per answered questionnaire: the common first columns (record, date,
    local time, program), empty cells up to ``width``, then ``csv_columns``."""
    for response in _responses(patient):
        local = response.answered_at.astimezone(zone)
        answers = "; ".join(
            f"{answer.label or answer.item.text}: {answer.value}"
            for answer in response.answers.all()
        )
        row = [
            _("questionnaire"),
            local.date().isoformat(),
            local.strftime("%H:%M"),
            response.assignment.title,
        ]
        row += [""] * (width - len(row))
        row += [
            response.instrument.short_name,
            str(response.score),
            response.get_change_display() if response.change else "",
            answers,
        ]
        yield (local.date(), 2, local.time(), response.pk), row


def questionnaire_url(instrument: Instrument) -> str:
    return f"{settings.SITE_URL}/fhir/Questionnaire/{instrument.slug}"


def _question(item: InstrumentItem, link_id: str, text: str = "") -> dict:
    question: dict = {"linkId": link_id, "text": text or item.text, "required": True}
    if item.kind == InstrumentItem.Kind.CHOICE:
        question["type"] = "choice"
        question["answerOption"] = [
            {"valueCoding": {"code": str(option.value), "display": option.label}}
            for option in item.options.all()
        ]
    else:
        question["type"] = "integer"
    return question


def questionnaire_resource(instrument: Instrument) -> dict:
    items = list(instrument.items.prefetch_related("options"))
    if instrument.is_patient_specific:
        questions = [
            {
                "linkId": ACTIVITY_LINK,
                "text": instrument.named_item_label or _("Activity"),
                "type": "group",
                "repeats": True,
                "required": True,
                "item": [
                    {
                        "linkId": f"{ACTIVITY_LINK}.name",
                        "text": instrument.named_item_label or _("Activity"),
                        "type": "string",
                        "required": True,
                    },
                    _question(items[0], f"{ACTIVITY_LINK}.rating"),
                ],
            }
        ]
    else:
        questions = [_question(item, f"item-{item.order}") for item in items]
    questions.append(
        {
            "linkId": SCORE_LINK,
            "text": _("Score (%(rule)s)") % {"rule": instrument.get_scoring_display()},
            "type": "decimal",
            "readOnly": True,
        }
    )
    return {
        "resourceType": "Questionnaire",
        "url": questionnaire_url(instrument),
        "title": instrument.name,
        "status": "active" if instrument.active else "retired",
        "subjectType": ["Patient"],
        "description": instrument.instructions,
        "copyright": f"{instrument.licence_note} {_('Source')}: {instrument.source}",
        "item": questions,
    }


def _answer_value(answer) -> dict:
    if answer.item.kind == InstrumentItem.Kind.CHOICE:
        label = next((o.label for o in answer.item.options.all() if o.value == answer.value), "")
        return {"valueCoding": {"code": str(answer.value), "display": label}}
    return {"valueInteger": answer.value}


def response_resource(response: OutcomeResponse, subject: str, zone) -> dict:
    instrument = response.instrument
    if instrument.is_patient_specific:
        items = [
            {
                "linkId": ACTIVITY_LINK,
                "item": [
                    {"linkId": f"{ACTIVITY_LINK}.name", "answer": [{"valueString": answer.label}]},
                    {"linkId": f"{ACTIVITY_LINK}.rating", "answer": [_answer_value(answer)]},
                ],
            }
            for answer in response.answers.all()
        ]
    else:
        items = [
            {"linkId": f"item-{answer.item.order}", "answer": [_answer_value(answer)]}
            for answer in response.answers.all()
        ]
    items.append({"linkId": SCORE_LINK, "answer": [{"valueDecimal": float(response.score)}]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_url(instrument),
        "status": "completed",
        "subject": {"reference": subject},
        "authored": fhir_instant(response.answered_at, zone),
        "item": items,
    }


def fhir_entries(patient: Patient, subject: str, zone) -> list[dict]:
    """The Questionnaires the patient answered, then their QuestionnaireResponses."""
    responses = list(_responses(patient))
    instruments = {response.instrument.pk: response.instrument for response in responses}
    entries = [
        {"fullUrl": fhir_urn("instruments", pk), "resource": questionnaire_resource(instrument)}
        for pk, instrument in sorted(instruments.items())
    ]
    entries += [
        {
            "fullUrl": fhir_urn("outcome-responses", response.pk),
            "resource": response_resource(response, subject, zone),
        }
        for response in responses
    ]
    return entries
