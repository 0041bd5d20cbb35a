"""`siaga import quake FILE [FILE ...]`: BMKG earthquake JSON (autogempa, gempaterkini, gempadirasakan) or ShakeMap grids."""

from django.core.management.base import BaseCommand, CommandError

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.disaster import quake, services

from .import_cap import report


class Command(BaseCommand):
    help = "Import BMKG earthquake JSON or ShakeMap grid.xml files; the grid's MMI >= V area gives the affected regions."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--mmi", type=float, default=quake.DEFAULT_MMI,
                            help="intensity whose area counts as affected (default 5, MMI V)")

    def handle(self, *files, **options):
        failed = 0
        for path in options.get("files") or files:
            with open(path, "rb") as fh:
                kind = services.detect_kind(fh.read(4000))
            if kind not in ("quake_json", "shakemap"):
                raise CommandError(f"{path} is neither BMKG earthquake JSON nor a ShakeMap grid")
            try:
                results = services.import_file(system_actor(), path, kind=kind, threshold=options["mmi"])
            except ServiceError as exc:
                raise CommandError(exc.message)
            failed += report(self, path, results)
        if failed:
            raise CommandError(f"{failed} item(s) went to the dead-letter list")
