"""Queries compiled once and run again with other ids (patients/compiled.py): the rows are
those the ORM gives for the same ids, whatever the ids, the day or the time zone asked for
before."""

import datetime

import pytest
import time_machine
from django.db import connections
from django.db.models import Count, Q, Value
from django.utils import timezone

from patients import compiled
from patients.clinical import pain_average_since
from patients.models import Assignment, AssignmentItem, PainLog, Patient
from patients.services import dashboard
from tests.factories import AssignmentFactory, PatientFactory
from tests.patients.dated import NOW, ExerciseLogFactory, ItemFactory, PainLogFactory, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patients(clinician):
    """Three patients with different pain and exercise histories."""
    records = [PatientFactory(clinician=clinician, time_zone="UTC") for _ in range(3)]
    for number, patient in enumerate(records):
        assignment = AssignmentFactory(patient=patient, starts_on=days_ago(30))
        item = ItemFactory(assignment=assignment)
        for day in range(number + 1):
            ExerciseLogFactory(item=item, performed_on=days_ago(day))
        PainLogFactory(
            patient=patient,
            assignment=assignment,
            score=3 + number,
            recorded_for=timezone.now() - datetime.timedelta(hours=2 + number),
        )
    return records


def last_pain(ids: list[int]):
    return (
        PainLog.objects.filter(patient_id__in=ids)
        .order_by("patient_id")
        .values_list("patient_id", "score", "recorded_for")
    )


def test_other_ids_of_the_same_number_get_their_own_rows(patients):
    first, second, third = (patient.pk for patient in patients)
    key = ("test", "last pain")
    assert compiled.rows_for_ids(key, [first, second], last_pain) == list(
        last_pain([first, second])
    )
    # Compiled once: the second call binds other ids into the same SQL.
    assert compiled.rows_for_ids(key, [third, first], last_pain) == list(last_pain([third, first]))
    rows = compiled.rows_for_ids(key, [third], last_pain)
    assert rows == list(last_pain([third]))
    # Datetimes come back as the ORM gives them (aware), on SQLite as on PostgreSQL.
    assert rows[0][2] == PainLog.objects.get(patient=patients[2]).recorded_for


def test_a_query_that_names_the_ids_twice_gets_them_bound_twice(
    patients, django_assert_num_queries
):
    def twice(ids: list[int]):
        return (
            Patient.objects.filter(Q(pk__in=ids) | Q(user_id__in=ids))
            .order_by("pk")
            .values_list("pk", flat=False)
        )

    key = ("test", "twice")
    ids = [patients[0].pk, patients[1].pk]
    assert compiled.rows_for_ids(key, ids, twice) == list(twice(ids))
    # The user ids of the first patients, which are other rows' primary keys.
    other = [patients[2].pk, patients[0].user_id]
    with django_assert_num_queries(1):
        rows = compiled.rows_for_ids(key, other, twice)
    assert rows == list(twice(other))


def test_a_placeholder_changed_on_its_way_is_never_bound(patients):
    """An id that reaches the SQL as text cannot be found again among the parameters: the
    query is run as built each time, never with the first call's ids left in it."""

    def as_text(ids: list[int]):
        return (
            Patient.objects.filter(pk__in=ids, user__username__in=[str(pk) for pk in ids])
            .order_by("pk")
            .values_list("pk", flat=False)
        )

    key = ("test", "as text")
    assert compiled.rows_for_ids(key, [patients[0].pk, 1], as_text) == []
    patients[1].user.username = str(patients[1].pk)
    patients[1].user.save()
    assert compiled.rows_for_ids(key, [patients[1].pk, patients[1].pk], as_text) == [
        (patients[1].pk,)
    ]


def test_the_dashboard_figures_follow_the_day_and_the_time_zone(patients):
    """The figures' SQL is keyed by the day and the zone: moving either gives the figures a
    query built afresh gives, never those compiled for another day or zone."""
    ids = [patient.pk for patient in patients]
    # Just before the seven-day pain window opens in UTC, inside it where the day starts
    # 14 hours earlier.
    PainLogFactory(
        patient=patients[0],
        assignment=patients[0].assignments.get(),
        score=10,
        recorded_for=pain_average_since(days_ago(0), datetime.UTC) - datetime.timedelta(hours=2),
    )

    def compiled_figures(today):
        return dashboard.patient_figures(patient_ids=ids, today=today)

    def built(today):
        rows = dashboard._patient_figures(Patient.objects.filter(pk__in=ids), today)
        return {
            pk: dashboard._Figures(*rest)
            for pk, *rest in rows.values_list("pk", *dashboard.FIGURES)
        }

    today = days_ago(0)
    figures = compiled_figures(today)
    assert figures == built(today)
    assert [figures[pk].done_today for pk in ids] == [1, 1, 1]
    assert [figures[pk].done_yesterday for pk in ids] == [0, 1, 1]
    tomorrow = today + datetime.timedelta(days=1)
    later = compiled_figures(tomorrow)
    assert later == built(tomorrow)
    assert [later[pk].done_today for pk in ids] == [0, 0, 0]
    assert [later[pk].done_yesterday for pk in ids] == [1, 1, 1]
    with timezone.override("Pacific/Kiritimati"):
        east = compiled_figures(today)
        assert east == built(today)
    assert east[ids[0]].pain_average == 6.5  # (3 + 10) / 2: the earlier log counts there
    assert figures[ids[0]].pain_average == 3.0


def test_adherence_follows_its_window_of_days(patients):
    """clinical.adherence compiles its SQL once per window: a window of the same length a
    day later counts that window's sessions, not the first one's."""
    from patients.clinical import adherence, sessions_logged_expression

    patient = patients[2]  # done today, yesterday and the day before

    def logged(days):
        return (
            Patient.objects.filter(pk=patient.pk)
            .annotate(n=sessions_logged_expression(days))
            .values_list("n", flat=True)
            .get()
        )

    window = [days_ago(4), days_ago(3), days_ago(2)]
    later = [days_ago(2), days_ago(1), days_ago(0)]
    assert adherence(patient=patient, days=window)[0] == logged(window) == 1
    assert adherence(patient=patient, days=later)[0] == logged(later) == 3


# --- Model instances (instances_for_ids, attach_children) ----------------------------------


def programs_with_patient(ids: list[int]):
    return (
        Assignment.objects.filter(patient_id__in=ids)
        .select_related("patient__user")
        .annotate(item_count=Count("items"))
        .order_by("-patient_id")
    )


def same(instances, expected) -> None:
    assert [type(instance) for instance in instances] == [type(one) for one in expected]
    assert [instance.__dict__.keys() - {"_state"} for instance in instances] == [
        one.__dict__.keys() - {"_state"} for one in expected
    ]
    for instance, one in zip(instances, expected, strict=True):
        for name in one.__dict__.keys() - {"_state"}:
            assert getattr(instance, name) == getattr(one, name), name
        assert not instance._state.adding  # saved rows: a save() is an UPDATE


def test_instances_are_those_the_orm_gives_for_other_ids(patients, django_assert_num_queries):
    first, second, third = (patient.pk for patient in patients)
    key = ("test", "programs")
    same(
        compiled.instances_for_ids(key, [first, second], programs_with_patient),
        list(programs_with_patient([first, second])),
    )
    # Compiled once: other ids of the same number bind into the same SQL, one query, and
    # what select_related and the annotation give comes with it.
    with django_assert_num_queries(1):
        programs = compiled.instances_for_ids(key, [third, first], programs_with_patient)
        assert [program.patient.user.last_name for program in programs] == [
            patients[2].user.last_name,
            patients[0].user.last_name,
        ]
        assert [program.item_count for program in programs] == [1, 1]
    same(programs, list(programs_with_patient([third, first])))
    program = programs[0]
    program.title = "Renamed"
    program.save(update_fields=["title"])
    assert Assignment.objects.get(pk=program.pk).title == "Renamed"


def test_deferred_fields_stay_deferred(patients):
    def names(ids):
        return Patient.objects.filter(pk__in=ids).only("pk", "time_zone").order_by("pk")

    [patient] = compiled.instances_for_ids(("test", "only"), [patients[1].pk], names)
    assert patient.get_deferred_fields() == names([patients[1].pk])[0].get_deferred_fields()
    assert patient.clinician_id == patients[1].clinician_id  # read when asked, as Django does


def test_children_are_attached_as_prefetch_would(patients, django_assert_num_queries):
    programs = list(Assignment.objects.filter(patient__in=patients).order_by("pk"))
    expected = [list(program.items.order_by("pk")) for program in programs]
    items = compiled.instances_for_ids(
        ("test", "items"),
        [program.pk for program in programs],
        lambda ids: AssignmentItem.objects.filter(assignment_id__in=ids).order_by("pk"),
    )
    compiled.attach_children(programs, "items", items)
    ItemFactory(assignment=programs[0])  # added since: not in what was read
    with django_assert_num_queries(0):
        assert [list(program.items.all()) for program in programs] == expected
        # Each item's program is the one it hangs from, as prefetch_related leaves it.
        assert all(
            item.assignment is program for program in programs for item in program.items.all()
        )


def test_an_id_no_column_can_hold_finds_nothing_instead_of_failing(patients, client, clinician):
    """An address with a huge id is a 404, on SQLite too, where binding it would
    overflow."""
    huge = 2**70
    key = ("test", "huge")
    assert compiled.rows_for_ids(key, [patients[0].pk], last_pain) == list(
        last_pain([patients[0].pk])
    )
    assert compiled.rows_for_ids(key, [huge], last_pain) == []
    client.force_login(clinician)
    assert client.get(f"/clinic/patients/{huge}/").status_code == 404


def test_the_least_recently_used_is_dropped_first(patients, monkeypatch):
    monkeypatch.setattr(compiled, "LIMIT", 2)
    connection = connections["default"]
    compiled._by_connection.pop(connection, None)
    ids = [patients[0].pk]
    compiled.rows_for_ids(("test", "a"), ids, last_pain)
    compiled.rows_for_ids(("test", "b"), ids, last_pain)
    compiled.rows_for_ids(("test", "a"), ids, last_pain)  # used again: kept
    compiled.rows_for_ids(("test", "c"), ids, last_pain)
    assert [key for key, _count in compiled._by_connection[connection]] == [
        ("test", "a"),
        ("test", "c"),
    ]
    assert compiled.rows_for_ids(("test", "b"), ids, last_pain) == list(last_pain(ids))


# --- Prepared statements on PostgreSQL ------------------------------------------------------


def hostile_names(ids: list[int]):
    """Parameters of every kind besides the ids: text with quotes, a backslash and percent
    signs (one followed by an s), a date, a datetime, a list."""
    return (
        Patient.objects.filter(pk__in=ids)
        .exclude(user__last_name__in=["O'Brien \\ 100%s", "%%", "50% off"])
        .filter(
            created_at__lt=timezone.now() + datetime.timedelta(days=1),
            assignments__starts_on__gte=days_ago(400),
            assignments__status__in=[Assignment.Status.ACTIVE, Assignment.Status.PAUSED],
        )
        .annotate(label=Value("it's 100%"))
        .order_by("pk")
        .values_list("pk", "label", "user__last_name")
    )


def prepared_statements() -> list[str]:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_on_postgresql_the_sql_is_prepared_once_with_only_the_ids_bound(
    patients, django_assert_num_queries
):
    """The parameters besides the ids are written into the prepared statement as psycopg
    writes them, so hostile text stays text; the rows are the ORM's; the query is counted
    like any other. On SQLite nothing is prepared."""
    connection = connections["default"]
    compiled._by_connection.pop(connection, None)
    patients[1].user.last_name = "O'Brien \\ 100%s"
    patients[1].user.save()
    patients[2].user.last_name = "O'Neil; DROP TABLE patients_patient; -- 100%"
    patients[2].user.save()
    key = ("test", "hostile")
    everyone = [patient.pk for patient in patients]
    assert compiled.rows_for_ids(key, everyone, hostile_names) == list(hostile_names(everyone))
    other = [patients[2].pk, patients[1].pk, patients[0].pk]
    with django_assert_num_queries(1) as queries:
        rows = compiled.rows_for_ids(key, other, hostile_names)
    assert rows == list(hostile_names(other))
    assert queries.captured_queries[0]["sql"].startswith('SELECT "patients_patient"."id"')
    assert [row[2] for row in rows] == [
        patients[0].user.last_name,
        "O'Neil; DROP TABLE patients_patient; -- 100%",
    ]
    assert rows[0][1] == "it's 100%"
    [(form, _count)] = [
        (form, count)
        for (name, count), form in compiled._by_connection[connection].items()
        if name == key
    ]
    if connection.vendor != "postgresql":
        assert form.prepared_sql is None
        return
    # Only the ids are placeholders; the statement is among the connection's prepared ones.
    assert form.prepared_ids == (0, 1, 2)
    assert "E'O''Brien \\\\ 100%%s'" in form.prepared_sql  # escaped twice: SQL, then psycopg
    prepared = [text for text in prepared_statements() if "O''Brien" in text]
    assert len(prepared) == 1
    assert prepared[0].count("$") == 3  # $1, $2, $3: the ids

    # DATABASE_PREPARED_STATEMENTS=false (a pooler that cannot keep them): the same rows,
    # sent as Django sends its own queries, nothing more prepared.
    compiled._by_connection.pop(connection, None)
    threshold = connection.connection.prepare_threshold
    connection.connection.prepare_threshold = None
    try:
        for ids in (other, other[::-1]):
            assert compiled.rows_for_ids(("test", "off"), ids, hostile_names) == list(
                hostile_names(ids)
            )
        assert [text for text in prepared_statements() if "O''Brien" in text] == prepared
    finally:
        connection.connection.prepare_threshold = threshold
