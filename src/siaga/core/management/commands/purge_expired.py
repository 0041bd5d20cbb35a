"""siaga purge_expired [--dry-run]: delete or blank personal and technical data past its retention period."""

from django.core.management.base import BaseCommand

from siaga.core import retention


class Command(BaseCommand):
    help = "Delete or blank personal and technical data past its retention period (SIAGA_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would go, change nothing")

    def handle(self, *args, dry_run=False, **options):
        counts = retention.purge(dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        for name, n in counts.items():
            self.stdout.write(f"{name}: {verb} {n}")
