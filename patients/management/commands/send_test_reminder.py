from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.models import Patient
from patients.reminders import send_test_reminder


class Command(BaseCommand):
    help = (
        "Send one reminder now to a patient through the real pipeline "
        "(broker, worker, channel). A worker must be running to deliver it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the patient's username")

    def handle(self, *args, username: str, **options) -> None:
        patient = Patient.objects.select_related("user").filter(user__username=username).first()
        if patient is None:
            raise CommandError(f"No patient with the username {username!r}.")
        delivery = send_test_reminder(patient=patient)
        self.stdout.write(
            f"Test reminder {delivery.pk} queued for {username} by {delivery.channel}; "
            "the worker sends it and records the outcome on the delivery."
        )
