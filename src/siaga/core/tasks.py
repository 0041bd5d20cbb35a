"""Background and periodic jobs of the core app, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import bus


@db_periodic_task(crontab(minute="*"))
def relay_outbox_events() -> int:
    """Publish outbox events whose process died between commit and publish."""
    return bus.relay_unpublished()


@db_periodic_task(crontab(hour="2", minute="17"))
def purge_expired_data() -> dict:
    """Daily: personal and technical data past its retention period (siaga.core.retention)."""
    from . import retention

    return retention.purge()
