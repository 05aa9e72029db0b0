from django.core.management.base import BaseCommand, CommandParser

from patients.services.retention import records_prune


class Command(BaseCommand):
    help = (
        "Delete what is past its retention period: old reminder deliveries, expired "
        "sessions, old sign-in events and audit entries (periods: PRUNE_* settings). "
        "Runs daily from beat; safe to run by hand at any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be deleted, delete nothing"
        )

    def handle(self, *args, dry_run: bool, **options) -> None:
        result = records_prune(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb}: {result.deliveries} reminder deliveries, {result.sessions} expired "
            f"sessions, {result.sign_in_events} sign-in events, {result.audit_entries} audit "
            "entries."
        )
