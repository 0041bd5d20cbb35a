"""Background and periodic jobs of dispatch, run by the huey consumer (`siaga worker`).

Server processes raise acknowledgement alarms within seconds (siaga.core.ticker); this minute job is
the backstop when no server process is running the ticker.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*"))
def raise_ack_alarms() -> int:
    """Every minute: alarm the dispatcher for dispatches nobody aboard acknowledged in time."""
    return len(services.raise_ack_alarms())
