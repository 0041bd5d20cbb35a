"""Background and periodic jobs of the call center, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import referrals


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_referrals() -> int:
    """Every minute: escalate referrals whose agency has not acknowledged them by the deadline."""
    return len(referrals.escalate_overdue())
