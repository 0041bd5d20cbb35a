"""`siaga import boundaries FILE...`: load region boundaries from GeoJSON files (all or nothing)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.geo import services


class Command(BaseCommand):
    help = ("Import region boundaries from GeoJSON FeatureCollections (properties kode, nama, lat, lng). "
            "Invalid polygons are repaired and reported; any bad feature aborts the whole import.")

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="GeoJSON files")
        parser.add_argument("--source", default=None, help="name recorded as the boundaries' source "
                                                           "(default: each file's name)")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        try:
            report = services.import_boundaries(system_actor(), opts["files"], source_name=opts["source"])
        except ServiceError as exc:
            lines = [exc.message]
            for err in (exc.details or {}).get("errors", []):
                lines.append(f"  {err['source']}: {err['message']}")
            raise CommandError("\n".join(lines)) from exc
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{k} {v:,}" for k, v in report.level_counts.items())
        self.stdout.write(
            _("Boundaries: %(imported)d imported (%(counts)s), %(updated)d changed, %(unchanged)d unchanged "
              "in %(seconds).1f s.")
            % {"imported": report.imported, "counts": counts, "updated": report.updated,
               "unchanged": report.unchanged, "seconds": elapsed}
        )
        if report.repaired:
            self.stdout.write(
                _("Repaired %(count)d invalid polygon(s): %(codes)s")
                % {"count": len(report.repaired), "codes": ", ".join(report.repaired)}
            )
