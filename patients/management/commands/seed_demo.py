"""Demo data for development and load tests: `manage.py seed_demo [--patients N]`.

Idempotent: every row is looked up by a stable key (username, owner + title, patient +
program) and only what is missing is created, so a second run creates nothing. Patients,
their users and assignments are written with bulk_create so that N=10000 stays quick; the
demo password is hashed once and the hash reused for every account.

Each new assignment gets its 90 days of logs (from its start to yesterday): pain scores
trending down from about 6 to about 3 with noise and a few days missed, exercise sessions
at about 70% adherence, now and then "too hard". Some patients are made to need attention
(see ``Profile``), and the first clinician's second patient has a red-flag log. Every
patient's logs come from a random generator seeded with their username, so a run gives
the same data on any database; an assignment that already has logs gets none. On
PostgreSQL the rows are streamed with COPY (millions of rows for ``--patients 10000``).
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import (
    Alert,
    Assignment,
    AssignmentItem,
    ExerciseLog,
    PainLog,
    Patient,
    ReminderSchedule,
)
from patients.services import NewAssignment, assignments_create_in_bulk
from patients.services.alerts import alerts_evaluate
from patients.services.attention import attention_refresh_all
from patients.services.pain import pain_log_record
from programs.models import Program
from programs.services import program_clone, program_create_from_muscle
from trigger.models import BodyRegion, Muscle
from users.models import Practice

from ._demo_outcomes import seed_outcomes

User = get_user_model()

# Development demo accounts only: the password is printed and must never reach production.
DEMO_PASSWORD = "demo-password-123"
PRACTICE_NAME = "Demo practice"
MUSCLE_SLUG = "gastrocnemius"
TIME_ZONE = "Europe/London"
REMINDER_TIMES = [datetime.time(8, 0), datetime.time(18, 0)]
DAYS_OF_HISTORY = 90
BATCH_SIZE = 1000
# Assignments whose logs are generated and written together.
LOG_BATCH_ASSIGNMENTS = 500
PAIN_REGION_SLUG = "back-of-calf"
PAIN_NOTES = [
    "Stiff after a long walk.",
    "Better after the stretches.",
    "Slept badly.",
    "Sore after work, easier by the evening.",
]
SKIP_REASONS = ["No time today.", "Calf too sore today.", "Away from home."]

CLINICIANS = [
    # username, first name, last name
    ("demo.clinician", "Sam", "Carter"),
    ("demo.clinician2", "Jo", "Patel"),
]
# Up to this many extra demo patients are listed one per line; more are summarised.
LISTED_PATIENTS_MAX = 20
STAFF = [
    # username, role, first name, last name, is_superuser
    ("demo.editor", User.Role.EDITOR, "Eddie", "Editor", False),
    ("demo.admin", User.Role.ADMIN, "Ada", "Admin", True),
]
FIRST_NAMES = [
    "Alex", "Blake", "Casey", "Dana", "Eli", "Frankie", "Gray", "Harper", "Indy", "Jamie",
    "Kai", "Logan", "Morgan", "Noel", "Olly", "Parker", "Quinn", "Riley", "Sasha", "Toni",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Baker", "Clarke", "Dixon", "Evans", "Fisher", "Grant", "Hughes", "Irwin",
    "Jones", "Khan", "Lewis", "Mason", "Nash", "Owen", "Price", "Reid", "Shaw", "Turner", "Walsh",
]  # fmt: skip


def patient_username(clinician_number: int, patient_number: int) -> str:
    """demo.patient for the first clinician's first patient, so a newcomer can sign in."""
    if (clinician_number, patient_number) == (1, 1):
        return "demo.patient"
    return f"demo.c{clinician_number}.patient{patient_number}"


def patient_numbers(username: str) -> tuple[int, int]:
    """(clinician number, patient number) of a demo patient's username."""
    if username == "demo.patient":
        return 1, 1
    clinician, patient = username.removeprefix("demo.c").split(".patient")
    return int(clinician), int(patient)


@dataclass(frozen=True)
class Profile:
    """How a demo patient's 90 days go. Most are steady; some need attention, so the
    dashboard and its alerts have something to show."""

    lapsed_days: int = 0  # logged nothing for this many days up to yesterday
    flare: bool = False  # no better, and pain rising over the last ten days
    struggling: bool = False  # a strengthening exercise found too hard this week
    ending_in_days: int | None = None  # the program ends within the week
    red_flag: bool = False  # a red-flag answer yesterday

    @classmethod
    def of(cls, clinician_number: int, patient_number: int, patients: int) -> Profile:
        n = patient_number
        return cls(
            lapsed_days=3 + n % 6 if n % 7 == 0 else 0,
            flare=n % 11 == 0,
            struggling=n % 13 == 0,
            ending_in_days=n % 7 if n % 17 == 0 else None,
            red_flag=(clinician_number, n) == (1, min(2, patients)),
        )


def patient_name(clinician_number: int, patient_number: int) -> tuple[str, str]:
    index = patient_number - 1
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index // len(FIRST_NAMES) + clinician_number - 1) % len(LAST_NAMES)]
    return first, last


class Command(BaseCommand):
    help = (
        "Create demo accounts, programs and patients for development (and, with --patients, "
        "for load tests). Running it again creates nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients",
            type=int,
            default=3,
            metavar="N",
            help="patients per clinician (default 3)",
        )

    def handle(self, *args, patients: int, **options) -> None:
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        # Demo data is not a clinical record: no audit trail of its creation.
        with disable_auditlog():
            self._seed(patients)

    def _seed(self, patients: int) -> None:
        call_command("load_trigger_content", stdout=self.stdout, stderr=self.stderr)
        try:
            muscle = Muscle.objects.get(slug=MUSCLE_SLUG)
        except Muscle.DoesNotExist:
            raise CommandError(f"The library has no muscle {MUSCLE_SLUG!r}.") from None
        self.password_hash = make_password(DEMO_PASSWORD)
        self.created = {
            "users": 0,
            "programs": 0,
            "patients": 0,
            "assignments": 0,
            "logs": 0,
            "questionnaires": 0,
        }
        with transaction.atomic():
            practice = Practice.objects.filter(name=PRACTICE_NAME).order_by("id").first()
            if practice is None:
                practice = Practice.objects.create(name=PRACTICE_NAME)
            clinicians = [
                self._ensure_user(
                    username,
                    role=User.Role.CLINICIAN,
                    first_name=first,
                    last_name=last,
                    practice=practice,
                )
                for username, first, last in CLINICIANS
            ]
            for username, role, first, last, is_superuser in STAFF:
                self._ensure_user(
                    username,
                    role=role,
                    first_name=first,
                    last_name=last,
                    is_staff=True,
                    is_superuser=is_superuser,
                )
            self.region = BodyRegion.objects.filter(slug=PAIN_REGION_SLUG).first()
            for number, clinician in enumerate(clinicians, start=1):
                starter = self._ensure_starter(clinician, muscle)
                self._ensure_template(clinician, starter, shared=number == 1)
                self._ensure_patients(clinician, number, patients, starter)
                self._ensure_logs(starter, patients)
                self._ensure_questionnaires(starter, patients)
            if self.created["assignments"] or self.created["logs"]:
                # What the beat does every 15 minutes: the computed alerts of the new logs.
                alerts_evaluate()
                # The logs were copied in bulk, past the services: the dashboard's kept order.
                attention_refresh_all()
        self._report(patients)

    # --- accounts -----------------------------------------------------------------------

    def _ensure_user(self, username: str, **fields):
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        self.created["users"] += 1
        return User.objects.create(
            username=username,
            email=f"{username}@example.org",
            password=self.password_hash,
            **fields,
        )

    # --- programs -----------------------------------------------------------------------

    def _ensure_starter(self, clinician, muscle: Muscle) -> Program:
        title = _("%(muscle)s starter") % {"muscle": muscle.name}
        starter = (
            Program.objects.filter(owner=clinician, muscle=muscle, is_template=False, title=title)
            .order_by("id")
            .first()
        )
        if starter is None:
            starter = program_create_from_muscle(owner=clinician, muscle=muscle)
            self.created["programs"] += 1
        return starter

    def _ensure_template(self, clinician, starter: Program, *, shared: bool) -> Program:
        template = (
            Program.objects.filter(owner=clinician, is_template=True, based_on=starter)
            .order_by("id")
            .first()
        )
        if template is None:
            template = program_clone(program=starter, owner=clinician, as_template=True)
            # The first clinician shares theirs, so the second sees a practice template.
            if shared:
                template.shared_with_practice = True
                template.save(update_fields=["shared_with_practice"])
            self.created["programs"] += 1
        return template

    # --- patients and their assignments -------------------------------------------------

    def _ensure_patients(self, clinician, clinician_number: int, count: int, starter) -> None:
        wanted = {patient_username(clinician_number, n): n for n in range(1, count + 1)}
        # Look up by prefix, not by a list of thousands of usernames (SQLite's parameter limit).
        mine = Q(username__startswith=f"demo.c{clinician_number}.")
        if clinician_number == 1:
            mine |= Q(username=patient_username(1, 1))
        existing_users = self._demo_user_ids(mine)

        new_users = []
        for username, number in wanted.items():
            if username in existing_users:
                continue
            first, last = patient_name(clinician_number, number)
            new_users.append(
                User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.org",
                    role=User.Role.PATIENT,
                    password=self.password_hash,
                )
            )
        User.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
        self.created["users"] += len(new_users)
        if new_users:
            existing_users = self._demo_user_ids(mine)

        demo_users = User.objects.filter(mine)
        with_record = set(
            Patient.objects.filter(user__in=demo_users).values_list("user_id", flat=True)
        )
        # No mobile numbers: a made-up one could be a real person's, and the range set aside
        # for drama (07700 900xxx) fails validation. Demo reminders go by email to example.org.
        new_patients = [
            Patient(
                user_id=existing_users[username],
                clinician=clinician,
                time_zone=TIME_ZONE,
            )
            for username in wanted
            if existing_users[username] not in with_record
        ]
        Patient.objects.bulk_create(new_patients, batch_size=BATCH_SIZE)
        self.created["patients"] += len(new_patients)

        unassigned = list(
            Patient.objects.filter(clinician=clinician, user__in=demo_users)
            .exclude(assignments__program=starter)
            .select_related("user")
            .order_by("pk")
        )
        self._assign_in_bulk(starter, clinician, unassigned, count)

    @staticmethod
    def _demo_user_ids(condition: Q) -> dict[str, int]:
        return dict(User.objects.filter(condition).values_list("username", "pk"))

    def _assign_in_bulk(self, starter: Program, clinician, patients: list[Patient], count: int):
        """The starter for every demo patient who has none, through the assignments
        service's bulk path, a batch at a time."""
        local_today = timezone.now().astimezone(zoneinfo.ZoneInfo(TIME_ZONE)).date()
        starts_on = local_today - datetime.timedelta(days=DAYS_OF_HISTORY)
        for start in range(0, len(patients), BATCH_SIZE):
            assignments = assignments_create_in_bulk(
                program=starter,
                assigned_by=clinician,
                new=[
                    NewAssignment(
                        patient=patient,
                        starts_on=starts_on,
                        ends_on=self._ends_on(patient.user.username, count, local_today),
                    )
                    for patient in patients[start : start + BATCH_SIZE]
                ],
                reminder_times=REMINDER_TIMES,
                channel=ReminderSchedule.Channel.EMAIL,
            )
            self.created["assignments"] += len(assignments)

    @staticmethod
    def _ends_on(username: str, count: int, today: datetime.date) -> datetime.date | None:
        ending_in = Profile.of(*patient_numbers(username), count).ending_in_days
        return None if ending_in is None else today + datetime.timedelta(days=ending_in)

    # --- 90 days of logs --------------------------------------------------------------------

    def _ensure_logs(self, starter: Program, count: int) -> None:
        """Logs for every demo assignment of ``starter`` that has none yet."""
        assignments = list(
            Assignment.objects.filter(program=starter, patient__user__username__startswith="demo.")
            .exclude(Exists(ExerciseLog.objects.filter(assignment=OuterRef("pk"))))
            .exclude(Exists(PainLog.objects.filter(assignment=OuterRef("pk"))))
            .values_list("pk", "patient_id", "patient__user__username", "starts_on")
            .order_by("pk")
        )
        zone = zoneinfo.ZoneInfo(TIME_ZONE)
        yesterday = timezone.now().astimezone(zone).date() - datetime.timedelta(days=1)
        for start in range(0, len(assignments), LOG_BATCH_ASSIGNMENTS):
            batch = assignments[start : start + LOG_BATCH_ASSIGNMENTS]
            items: dict[int, list[tuple]] = {}
            for row in (
                # Advice is never logged: only exercises get sessions.
                AssignmentItem.objects.filter(
                    assignment_id__in=[a[0] for a in batch], is_advice=False
                )
                .order_by("assignment_id", "order", "id")
                .values_list("assignment_id", "pk", "times_per_day", "weekdays", "module_kind")
            ):
                items.setdefault(row[0], []).append(row[1:])
            exercise_rows: list[tuple] = []
            pain_rows: list[tuple] = []
            red_flags: list[int] = []
            for assignment_id, patient_id, username, starts_on in batch:
                days = DemoDays(
                    rng=random.Random(f"seed_demo:{username}"),
                    profile=Profile.of(*patient_numbers(username), count),
                    patient_id=patient_id,
                    assignment_id=assignment_id,
                    items=items.get(assignment_id, []),
                    first=starts_on,
                    last=yesterday,
                    zone=zone,
                    region_id=self.region.pk if self.region else None,
                )
                exercise_rows.extend(days.exercise_rows())
                pain_rows.extend(days.pain_rows())
                if days.profile.red_flag:
                    red_flags.append(patient_id)
            _insert(ExerciseLog, EXERCISE_COLUMNS, exercise_rows)
            _insert(PainLog, PAIN_COLUMNS, pain_rows)
            self.created["logs"] += len(exercise_rows) + len(pain_rows)
            for patient_id in red_flags:
                self._red_flag(patient_id, yesterday, zone)

    def _ensure_questionnaires(self, starter: Program, count: int) -> None:
        """The PSFS asked every three weeks, answered up to yesterday (_demo_outcomes.py)."""
        demo = list(
            Assignment.objects.filter(
                program=starter, patient__user__username__startswith="demo."
            ).values_list("pk", "patient__user__username")
        )
        flare = {pk for pk, username in demo if Profile.of(*patient_numbers(username), count).flare}
        now = timezone.now()
        self.created["questionnaires"] += seed_outcomes(
            assignment_ids=[pk for pk, _username in demo],
            flare=flare,
            yesterday=now.astimezone(zoneinfo.ZoneInfo(TIME_ZONE)).date()
            - datetime.timedelta(days=1),
            now=now,
        )

    def _red_flag(self, patient_id: int, day, zone) -> None:
        """A "yes" to the calf question, through the pain service (its alert and the hold
        on the exercises), without emailing the demo clinician."""
        when = datetime.datetime.combine(day, datetime.time(20, 15), tzinfo=zone)
        region = self.region
        log = pain_log_record(
            patient=Patient.objects.get(pk=patient_id),
            score=7,
            region=region,
            side=PainLog.Side.LEFT if region and region.lateral else "",
            timing=PainLog.Timing.REST,
            calf_swollen_warm_red=True,
            chest_symptoms=False,
            recent_immobilisation=False,
            now=when,
            notify_clinician=False,
        )
        # Written yesterday evening, not now.
        PainLog.objects.filter(pk=log.pk).update(logged_at=when)
        Alert.objects.filter(pain_log=log).update(created_at=when)
        self.created["logs"] += 1

    # --- output -------------------------------------------------------------------------

    def _report(self, patients: int) -> None:
        created = self.created
        if any(created.values()):
            self.stdout.write(
                "Created {users} users, {programs} programs, {patients} patients, "
                "{assignments} assignments and {logs} logs.".format(**created)
            )
            if created["questionnaires"]:
                self.stdout.write(
                    "Answered {questionnaires} PSFS questionnaires.".format(**created)
                )
        else:
            self.stdout.write("The demo data was already there: nothing new was created.")
        rows = [
            ("demo.clinician", "clinician", "/clinic/"),
            ("demo.clinician2", "clinician", "/clinic/"),
            ("demo.patient", "patient", "/me/"),
            ("demo.editor", "content editor", "/admin/"),
            ("demo.admin", "administrator", "/admin/"),
        ]
        self.stdout.write("")
        self.stdout.write(
            self.style.WARNING(
                "Development demo accounts: never use them on a server others can reach."
            )
        )
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write("")
        self.stdout.write(f"  {'username':<18} {'role':<16} home")
        self.stdout.write(f"  {'-' * 18} {'-' * 16} {'-' * 8}")
        for username, role, home in rows:
            self.stdout.write(f"  {username:<18} {role:<16} {home}")
        others = [
            (patient_username(c, p), clinician)
            for c, (clinician, _first, _last) in enumerate(CLINICIANS, start=1)
            for p in range(1, patients + 1)
            if (c, p) != (1, 1)
        ]
        if len(others) <= LISTED_PATIENTS_MAX:
            for username, clinician in others:
                self.stdout.write(f"  {username:<18} {'patient':<16} /me/      ({clinician})")
        else:
            self.stdout.write(
                f"  and {len(others)} more patients, demo.c<clinician>.patient<n> "
                f"(n = 1..{patients}; demo.c1.patient1 is demo.patient)"
            )


EXERCISE_COLUMNS = [
    "patient_id",
    "assignment_id",
    "item_id",
    "performed_on",
    "session",
    "status",
    "difficulty",
    "pain_during",
    "skip_reason",
    "is_late",
    "logged_at",
]
PAIN_COLUMNS = [
    "patient_id",
    "assignment_id",
    "score",
    "region_id",
    "region_other",
    "side",
    "timing",
    "note",
    "recorded_for",
    "is_late",
    "calf_swollen_warm_red",
    "chest_symptoms",
    "recent_immobilisation",
    "logged_at",
]


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """Write many rows at once with every column given (``logged_at`` too, which
    bulk_create would set to now): COPY on PostgreSQL, batched INSERTs elsewhere."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        for start in range(0, len(rows), 5 * BATCH_SIZE):
            cursor.executemany(sql, rows[start : start + 5 * BATCH_SIZE])


@dataclass
class DemoDays:
    """One patient's logs from ``first`` to ``last``, drawn from ``rng``.

    Each day is missed (about 17%), partly done (the first session of each exercise,
    about 38%) or fully done (about 45%): about 70% of the prescribed sessions. Pain is
    logged on about 85% of the days, from about 6 down to about 3 with noise.
    """

    rng: random.Random
    profile: Profile
    patient_id: int
    assignment_id: int
    items: list[tuple]  # (pk, times_per_day, weekdays, module_kind)
    first: datetime.date
    last: datetime.date
    zone: zoneinfo.ZoneInfo
    region_id: int | None

    def __post_init__(self) -> None:
        self.span = max((self.last - self.first).days, 1)
        # A lapsed patient's last log is this many days before yesterday.
        self.stop = self.last - datetime.timedelta(days=self.profile.lapsed_days)
        exercises = [i for i in self.items if i[3] in ("stretching", "strengthening")]
        strengthening = [i for i in exercises if i[3] == "strengthening"]
        self.hard_item = (strengthening or exercises or [None])[-1]
        self.too_hard_days: set[datetime.date] = set()
        if self.profile.struggling and self.hard_item:
            recent = [self.stop - datetime.timedelta(days=n) for n in range(6)]
            self.too_hard_days = set(self.rng.sample(recent, 3))

    def _days(self) -> Iterator[tuple[int, datetime.date]]:
        day = self.first
        while day <= self.stop:
            yield (day - self.first).days, day
            day += datetime.timedelta(days=1)

    def expected_pain(self, index: int) -> float:
        """About 6 at the start and 3 at the end; a flare does not improve and climbs by
        3 points over its last ten days."""
        days_left = self.span - index
        if self.profile.flare:
            return 6.0 + (3.0 * (10 - days_left) / 10 if days_left < 10 else 0.0)
        return 6.0 - 3.0 * index / self.span

    def _at(self, day: datetime.date, hour: int, minutes: int) -> datetime.datetime:
        """``minutes`` after ``hour`` o'clock on ``day``, local time."""
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=self.zone)
        return start + datetime.timedelta(minutes=minutes)

    def pain_rows(self) -> Iterator[tuple]:
        rng = self.rng
        for index, day in self._days():
            if rng.random() >= 0.85:
                continue  # not logged that day
            score = round(self.expected_pain(index) + rng.gauss(0, 0.8))
            when = self._at(day, 8, rng.randrange(120))
            note = rng.choice(PAIN_NOTES) if rng.random() < 0.05 else ""
            yield (
                self.patient_id,
                self.assignment_id,
                min(max(score, 0), 10),
                self.region_id,
                "",
                # The demo region is the back of the calf, which has a side: the left one.
                PainLog.Side.LEFT.value if self.region_id else "",
                PainLog.Timing.WAKING.value,
                note,
                when,
                False,
                None,
                None,
                None,
                when,
            )

    def exercise_rows(self) -> Iterator[tuple]:
        rng = self.rng
        done, skipped = ExerciseLog.Status.DONE.value, ExerciseLog.Status.SKIPPED.value
        for index, day in self._days():
            draw = rng.random()
            if draw < 0.17:
                continue  # a missed day
            full = draw >= 0.55
            skip_one = None if full or rng.random() >= 0.3 else rng.randrange(len(self.items))
            progress = index / self.span
            pain = self.expected_pain(index)
            for position, (item_id, times, days, kind) in enumerate(self.items):
                if not days & (1 << day.weekday()):
                    continue
                exercise = kind in ("stretching", "strengthening")
                for session in range(1, (times if full else 1) + 1):
                    status, difficulty, pain_during, reason = done, "", None, ""
                    if position == skip_one:
                        status, reason = skipped, rng.choice(SKIP_REASONS)
                    elif exercise:
                        difficulty = self._difficulty(item_id, day, progress)
                        if rng.random() < 0.6:
                            pain_during = min(max(round(pain - 1 + rng.gauss(0, 1)), 0), 10)
                    yield (
                        self.patient_id,
                        self.assignment_id,
                        item_id,
                        day,
                        session,
                        status,
                        difficulty,
                        pain_during,
                        reason,
                        False,
                        self._at(day, 18 + session, rng.randrange(60)),
                    )

    def _difficulty(self, item_id: int, day: datetime.date, progress: float) -> str:
        if self.hard_item and item_id == self.hard_item[0] and day in self.too_hard_days:
            return ExerciseLog.Difficulty.TOO_HARD.value
        draw = self.rng.random()
        if draw < 0.3:
            return ""  # not answered
        if draw < 0.3 + 0.03 * (1 - progress):
            return ExerciseLog.Difficulty.TOO_HARD.value
        if draw < 0.45 + 0.25 * progress:
            return ExerciseLog.Difficulty.TOO_EASY.value
        return ExerciseLog.Difficulty.ABOUT_RIGHT.value
