"""Questionnaire answers in the patient's exports: CSV rows, and FHIR R4 Questionnaire +
QuestionnaireResponse resources in the bundle, validated with fhir.resources (R4B)."""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from patients.services.outcomes import Answer, DueQuestionnaire, outcome_response_record
from tests import factories
from trigger.models import AnswerOption, Instrument, InstrumentItem

UTC = datetime.UTC
pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2027, 4, 10, 12, 0, tzinfo=UTC)
START = datetime.date(2027, 2, 1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def record(clinician):
    return factories.PatientFactory(clinician=clinician, time_zone="Europe/Paris")


@pytest.fixture
def assignment(record):
    return factories.AssignmentFactory(patient=record, starts_on=START, title="Calf program")


def record_answers(record, assignment, instrument, weeks, answers):
    day = START + datetime.timedelta(weeks=weeks)
    return outcome_response_record(
        patient=record,
        due=DueQuestionnaire(assignment=assignment, instrument=instrument, due_on=day),
        answers=answers,
        now=datetime.datetime.combine(day, datetime.time(17, 0), tzinfo=UTC),
    )


@pytest.fixture
def answered(record, assignment, psfs):
    item = psfs.items.get()
    for weeks, ratings in ((0, [2, 3, 4]), (4, [6, 5, 5])):
        record_answers(
            record,
            assignment,
            psfs,
            weeks,
            [
                Answer(item=item, value=v, label=label)
                for label, v in zip(["=Stairs", "Walking", "Standing"], ratings, strict=True)
            ],
        )


def test_each_questionnaire_is_a_csv_row_with_its_score_change_and_answers(
    answered, client, clinician, record
):
    client.force_login(clinician)
    response = client.get(reverse("patients:patient_export_csv", args=[record.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    assert header[-4:] == ["questionnaire", "score", "change from baseline", "answers"]
    questionnaires = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(r["date"], r["local time"], r["program"]) for r in questionnaires] == [
        ("2027-02-01", "18:00", "Calf program"),
        ("2027-03-01", "18:00", "Calf program"),
    ]
    assert [r["score"] for r in questionnaires] == ["3.0", "5.3"]
    assert questionnaires[1]["change from baseline"] == "Improved by at least the MCID"
    # A patient's words that look like a formula are written as text.
    assert questionnaires[0]["answers"] == "'=Stairs: 2; Walking: 3; Standing: 4"


def test_the_bundle_holds_a_valid_questionnaire_and_its_responses(
    answered, client, clinician, record
):
    client.force_login(clinician)
    data = client.get(reverse("patients:patient_export_fhir", args=[record.pk])).json()
    Bundle.model_validate(data)
    resources = [entry["resource"] for entry in data["entry"]]
    [questionnaire] = [r for r in resources if r["resourceType"] == "Questionnaire"]
    responses = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    Questionnaire.model_validate(questionnaire)
    for resource in responses:
        QuestionnaireResponse.model_validate(resource)
    assert questionnaire["title"] == "Patient-Specific Functional Scale"
    assert "Physiotherapy Canada" in questionnaire["copyright"]
    assert [q["linkId"] for q in questionnaire["item"]] == ["activity", "score"]
    assert len(responses) == 2
    [patient_entry] = [e for e in data["entry"] if e["resource"]["resourceType"] == "Patient"]
    first = responses[0]
    assert first["questionnaire"] == questionnaire["url"]
    assert first["subject"] == {"reference": patient_entry["fullUrl"]}
    assert first["authored"] == "2027-02-01T18:00:00+01:00"
    activities = [i for i in first["item"] if i["linkId"] == "activity"]
    assert [
        (a["item"][0]["answer"][0]["valueString"], a["item"][1]["answer"][0]["valueInteger"])
        for a in activities
    ] == [("=Stairs", 2), ("Walking", 3), ("Standing", 4)]
    assert [i for i in responses[1]["item"] if i["linkId"] == "score"] == [
        {"linkId": "score", "answer": [{"valueDecimal": 5.3}]}
    ]


def test_a_choice_instrument_exports_its_options_as_codings(record, assignment, client, clinician):
    scale = Instrument.objects.create(
        slug="clinic-scale",
        name="Clinic scale",
        short_name="CS",
        instructions="Answer.",
        scoring=Instrument.Scoring.SUM,
        score_min=0,
        score_max=2,
        direction=Instrument.Direction.LOWER_IS_BETTER,
        mcid=1,
        source="Licensed copy",
        licence_note="Licensed to the clinic",
    )
    item = InstrumentItem.objects.create(
        instrument=scale, order=1, text="How often?", kind="choice", min_value=0, max_value=2
    )
    AnswerOption.objects.create(item=item, order=1, label="Never", value=0)
    AnswerOption.objects.create(item=item, order=2, label="Always", value=2)
    record_answers(record, assignment, scale, 0, [Answer(item=item, value=2)])
    client.force_login(clinician)
    data = client.get(reverse("patients:patient_export_fhir", args=[record.pk])).json()
    Bundle.model_validate(data)
    resources = [entry["resource"] for entry in data["entry"]]
    [questionnaire] = [r for r in resources if r["resourceType"] == "Questionnaire"]
    assert questionnaire["item"][0]["answerOption"] == [
        {"valueCoding": {"code": "0", "display": "Never"}},
        {"valueCoding": {"code": "2", "display": "Always"}},
    ]
    [response] = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    assert response["item"][0] == {
        "linkId": "item-1",
        "answer": [{"valueCoding": {"code": "2", "display": "Always"}}],
    }
    assert json.dumps(data)  # plain JSON: no Decimal left in it


def test_the_patients_own_download_holds_their_questionnaires(answered, client, record):
    client.force_login(record.user)
    data = client.get(reverse("patients:my_data_json")).json()
    assert [
        (q["asked_for"], q["score"], q["change_from_baseline"]) for q in data["questionnaires"]
    ] == [
        ("2027-02-01", "3.0", ""),
        ("2027-03-01", "5.3", "improved"),
    ]
    assert data["questionnaires"][0]["answers"] == "=Stairs: 2; Walking: 3; Standing: 4"
