from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trigger.instruments_load import instruments_load
from trigger.services import DEFAULT_DOCUMENTS, ContentError, library_load_documents


class Command(BaseCommand):
    help = (
        "Load muscle documents written in the seed's format into the library. With no path, "
        "loads the documents shipped in trigger/content/, and the outcome measures of "
        "trigger/content/instruments.toml. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help="muscle documents (.txt)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite changes editors made in the admin since the last load",
        )

    def handle(self, *args, paths: list[Path], force: bool, **options) -> None:
        try:
            results = library_load_documents(paths=paths or DEFAULT_DOCUMENTS, force=force)
            instruments = instruments_load(force=force)
        except ContentError as error:
            raise CommandError(str(error)) from error
        for result in results:
            if options["verbosity"] > 0:
                self.stdout.write(f"{result.muscle.name}: {result.status}")
            for zone in result.unplaced:
                self.stderr.write(
                    f"{result.muscle.name}: the referral zone “{zone}” is not on the body "
                    "chart. Place its body region on the chart in the admin (Trigger-point "
                    "library → Body regions → chart areas)."
                )
        if options["verbosity"] > 1:  # the outcome measures, with -v 2
            for loaded in instruments:
                self.stdout.write(f"{loaded.instrument.name}: {loaded.status}")
