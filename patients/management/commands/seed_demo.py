"""Demo data for development and load tests: `manage.py seed_demo [--patients N]`.

Idempotent: every row is looked up by a stable key (username, owner + title, patient +
program) and only what is missing is created, so a second run creates nothing. Patients,
their users and assignments are written with bulk_create so that N=10000 stays quick; the
demo password is hashed once and the hash reused for every account.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from patients.models import Assignment, AssignmentItem, Patient, ReminderSchedule
from patients.schedule import next_occurrence
from programs import weekdays
from programs.models import Program
from programs.services import program_clone, program_create_from_muscle
from trigger.models import Muscle
from users.models import Practice

User = get_user_model()

# Development demo accounts only: the password is printed and must never reach production.
DEMO_PASSWORD = "demo-password-123"
PRACTICE_NAME = "Demo practice"
MUSCLE_SLUG = "gastrocnemius"
TIME_ZONE = "Europe/London"
REMINDER_TIMES = [datetime.time(8, 0), datetime.time(18, 0)]
DAYS_OF_HISTORY = 90
BATCH_SIZE = 1000

CLINICIANS = [
    # username, first name, last name
    ("demo.clinician", "Sam", "Carter"),
    ("demo.clinician2", "Jo", "Patel"),
]
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
        call_command("load_trigger_content", stdout=self.stdout, stderr=self.stderr)
        try:
            muscle = Muscle.objects.get(slug=MUSCLE_SLUG)
        except Muscle.DoesNotExist:
            raise CommandError(f"The library has no muscle {MUSCLE_SLUG!r}.") from None
        self.password_hash = make_password(DEMO_PASSWORD)
        self.created = {"users": 0, "programs": 0, "patients": 0, "assignments": 0}
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
            for number, clinician in enumerate(clinicians, start=1):
                starter = self._ensure_starter(clinician, muscle)
                self._ensure_template(clinician, starter, shared=number == 1)
                self._ensure_patients(clinician, number, patients, starter)
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
            .values_list("pk", flat=True)
        )
        self._assign_in_bulk(starter, clinician, unassigned)

    @staticmethod
    def _demo_user_ids(condition: Q) -> dict[str, int]:
        return dict(User.objects.filter(condition).values_list("username", "pk"))

    def _assign_in_bulk(self, starter: Program, clinician, patient_ids: list[int]) -> None:
        """What patients.services.assignment_create does, for many patients at once."""
        if not patient_ids:
            return
        local_today = timezone.now().astimezone(zoneinfo.ZoneInfo(TIME_ZONE)).date()
        starts_on = local_today - datetime.timedelta(days=DAYS_OF_HISTORY)
        items = list(starter.items.all())
        now = timezone.now()
        # Every demo patient lives in one zone: each reminder time's next UTC instant is
        # the same for all of them.
        next_due = {
            time: next_occurrence(
                local_time=time,
                days=weekdays.ALL_DAYS,
                zone=TIME_ZONE,
                after=now,
                starts_on=starts_on,
            )
            for time in REMINDER_TIMES
        }
        for start in range(0, len(patient_ids), BATCH_SIZE):
            assignments = Assignment.objects.bulk_create(
                Assignment(
                    patient_id=patient_id,
                    program=starter,
                    title=starter.title,
                    starts_on=starts_on,
                    assigned_by=clinician,
                )
                for patient_id in patient_ids[start : start + BATCH_SIZE]
            )
            # PostgreSQL and SQLite >= 3.35 return the new primary keys; items need them.
            if not all(assignment.pk for assignment in assignments):
                raise CommandError("This database does not return keys from bulk inserts.")
            AssignmentItem.objects.bulk_create(
                (
                    AssignmentItem(assignment=assignment, **item.copied_fields())
                    for assignment in assignments
                    for item in items
                ),
                batch_size=BATCH_SIZE,
            )
            ReminderSchedule.objects.bulk_create(
                (
                    ReminderSchedule(
                        assignment=assignment,
                        local_time=time,
                        original_local_time=time,
                        channel=ReminderSchedule.Channel.EMAIL,
                        next_due_at=next_due[time],
                    )
                    for assignment in assignments
                    for time in REMINDER_TIMES
                ),
                batch_size=BATCH_SIZE,
            )
            # The 90 days of exercise and pain logs (from starts_on to yesterday) are added
            # here once the patient issue brings the log models.
            self.created["assignments"] += len(assignments)

    # --- output -------------------------------------------------------------------------

    def _report(self, patients: int) -> None:
        created = self.created
        if any(created.values()):
            self.stdout.write(
                "Created {users} users, {programs} programs, {patients} patients and "
                "{assignments} assignments.".format(**created)
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
        if patients > 1:
            self.stdout.write(
                f"  (and {patients * len(CLINICIANS) - 1} more patients: demo.c1.patient2, "
                f"demo.c2.patient1, ...)"
            )
