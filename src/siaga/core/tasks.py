"""Background and periodic jobs of the core app, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import bus


@db_periodic_task(crontab(minute="*"))
def relay_outbox_events() -> int:
    """Publish outbox events whose process died between commit and publish."""
    return bus.relay_unpublished()
