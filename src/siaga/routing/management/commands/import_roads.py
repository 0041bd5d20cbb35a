"""`siaga import roads FILE --region CODE`: compile a road network (OSMnx GraphML or OSM PBF) for a region."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.routing import services


class Command(BaseCommand):
    help = ("Import a drivable road network from an OSMnx .graphml or an OSM .osm.pbf file and make it the "
            "region's active network; on any error the previous network stays in service.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="road file (.graphml or .osm.pbf)")
        parser.add_argument("--region", required=True, help="Kemendagri code of the region, e.g. 64.71")
        parser.add_argument("--name", default=None, help="network name (default: the file name)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **opts):
        show = not opts["no_progress"] and opts.get("verbosity", 1) > 0
        stream = getattr(self.stderr, "_out", sys.stderr)
        started = time.perf_counter()
        with tqdm(desc=_("Reading roads"), unit=" elements", file=stream, disable=not show) as bar:
            try:
                report = services.import_roads(system_actor(), opts["file"], region_code=opts["region"],
                                               name=opts["name"], progress=bar)
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
        net = report.network
        for w in report.warnings:
            self.stderr.write(w)
        self.stdout.write(
            _("Road network %(name)s for %(code)s: %(nodes)s nodes, %(arcs)s arcs in %(seconds).1f s; "
              "outside the largest strongly connected component, dropped %(dn)s nodes and %(da)s arcs.")
            % {"name": net.name, "code": net.region_code, "nodes": f"{net.node_count:,}",
               "arcs": f"{net.arc_count:,}", "seconds": time.perf_counter() - started,
               "dn": f"{report.dropped_nodes:,}", "da": f"{report.dropped_arcs:,}"})
