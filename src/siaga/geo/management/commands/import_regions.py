"""`siaga import regions`: load all Kemendagri regions from the npm package idn-area-data."""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.geo import services


class Command(BaseCommand):
    help = "Import (or update) all Kemendagri regions from idn-area-data's CSV files; safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=None,
                            help="folder with provinces.csv, regencies.csv, districts.csv, villages.csv "
                                 "(default: settings.REGIONS_DIR)")
        parser.add_argument("--within", default="",
                            help="only this code's subtree and its ancestors, e.g. 35.76 (small demos and tests)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        directory = opts["dir"] or settings.REGIONS_DIR
        show = not opts["no_progress"] and opts.get("verbosity", 1) > 0

        # tqdm needs the raw stream: Django's OutputWrapper would append a newline to every redraw.
        stream = getattr(self.stderr, "_out", sys.stderr)

        def progress(total, desc):
            return tqdm(total=total, desc=desc, unit=" regions", file=stream, disable=not show or total == 0)

        started = time.perf_counter()
        try:
            report = services.import_regions(system_actor(), directory, within=opts["within"], progress=progress)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{k} {v:,}" for k, v in report.level_counts.items())
        self.stdout.write(
            _("Regions: %(inserted)d inserted, %(updated)d updated, %(unchanged)d unchanged (%(counts)s) "
              "in %(seconds).1f s.")
            % {"inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
               "counts": counts, "seconds": elapsed}
        )
        if report.not_in_source:
            self.stdout.write(
                _("%(count)d regions in the database are no longer listed by idn-area-data; they were kept.")
                % {"count": report.not_in_source}
            )
