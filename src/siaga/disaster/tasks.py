"""Background and periodic jobs of disaster response, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import feeds


@db_periodic_task(crontab(minute="*"))
def poll_feeds() -> int:
    """Every minute: poll the enabled BMKG feeds whose interval has passed; returns how many were polled."""
    return len(feeds.poll_due())
