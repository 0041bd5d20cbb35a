"""`siaga import cap FILE [FILE ...]`: import BMKG CAP alerts from files (bad ones go to the dead-letter list)."""

from django.core.management.base import BaseCommand, CommandError

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.disaster import services


class Command(BaseCommand):
    help = "Import CAP 1.2 alerts from files; malformed or duplicate ones are kept in the dead-letter list."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *files, **options):
        failed = 0
        for path in options.get("files") or files:
            try:
                results = services.import_file(system_actor(), path, kind="cap")
            except ServiceError as exc:
                raise CommandError(exc.message)
            failed += report(self, path, results)
        if failed:
            raise CommandError(f"{failed} item(s) went to the dead-letter list")


def report(cmd, path, results) -> int:
    failed = 0
    for r in results:
        if r.warning is not None and r.status in ("created", "updated", "unchanged"):
            n = r.warning.affected_areas.count()
            cmd.stdout.write(f"{path}: {r.status} warning {r.warning.pk} {r.warning.headline!r}, {n} affected regions")
        else:
            failed += 1
            cmd.stderr.write(f"{path}: {r.status}: {r.message} (dead letter {getattr(r.dead_letter, 'pk', '-')})")
    return failed
