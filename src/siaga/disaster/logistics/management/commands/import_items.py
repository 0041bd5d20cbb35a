"""`siaga import items FILE [--kits FILE]`: import the relief item catalogue and its kits from CSV."""

from django.core.management.base import BaseCommand, CommandError

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.disaster.logistics import services


class Command(BaseCommand):
    help = ("Import the item catalogue (IFRC supply catalogue CSV) and optionally kits; all rows or none, "
            "a re-import updates items in place.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="catalogue CSV (e.g. DATA_DIR/logistics/ifrc_supply_catalog_item.csv)")
        parser.add_argument("--kits", default=None, help="kit CSV (e.g. DATA_DIR/logistics/ifrc_supply_kit_item.csv)")

    def handle(self, *args, **options):
        try:
            result = services.import_items(system_actor(), options["file"], options.get("kits"))
        except ServiceError as exc:
            for err in (exc.details or {}).get("errors", []):
                self.stderr.write(f"{err['file']}:{err['line']}: {err['message']}")
            raise CommandError(exc.message)
        self.stdout.write(f"items: {result.created} created, {result.updated} updated, {result.unchanged} unchanged; "
                          f"kits: {result.kits} ({result.kit_components} component lines)")
