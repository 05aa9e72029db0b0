from django.core.management.base import BaseCommand, CommandError, CommandParser

from patients.services.attention import attention_drift, attention_refresh_all


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's kept attention figures (open alert severity, open red "
        "flags, last activity) of every patient from their logs and alerts. The services "
        "keep them as they write; run this after a bulk import or a restore. With --check, "
        "write nothing and fail if any patient's kept figures differ from the computed ones."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="report patients whose figures differ; no write"
        )

    def handle(self, *args, check: bool, **options) -> None:
        if check:
            drifted = attention_drift()
            if drifted:
                raise CommandError(
                    f"{len(drifted)} patients' kept figures differ from their logs and alerts "
                    f"(first ids: {', '.join(map(str, drifted[:20]))}); run attention_refresh."
                )
            self.stdout.write("Every patient's kept figures match their logs and alerts.")
            return
        count = attention_refresh_all()
        self.stdout.write(f"Recomputed the attention figures of {count} patients.")
