"""`siaga relay`: publish outbox events that were committed but never reached the bus."""

import time

from django.core.management.base import BaseCommand

from siaga.core import bus


class Command(BaseCommand):
    help = "Publish outbox events the bus has not yet seen (once, or in a loop)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one round and exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds (default 5)")
        parser.add_argument("--limit", type=int, default=500, help="events per round (default 500)")
        parser.add_argument("--min-age", type=float, default=bus.RELAY_MIN_AGE_SECONDS,
                            help="leave events younger than this many seconds to their writer (default 5)")

    def handle(self, *args, once=False, interval=5.0, limit=500, min_age=bus.RELAY_MIN_AGE_SECONDS, **options):
        try:
            while True:
                sent = bus.relay_unpublished(limit=limit, min_age_seconds=min_age)
                if sent or options["verbosity"] > 1:
                    self.stdout.write(f"relayed {sent} event(s)")
                if once:
                    return
                # A full batch means more are waiting: go again at once.
                if sent < limit:
                    time.sleep(interval)
        except KeyboardInterrupt:
            return
