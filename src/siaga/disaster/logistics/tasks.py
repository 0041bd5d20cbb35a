"""Periodic jobs of relief logistics, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from siaga.core.permissions import system_actor

from . import services


@db_periodic_task(crontab(minute="15", hour="*"))
def stock_alerts() -> dict:
    """Every hour: near-expiry alerts (once per lot) and minimums re-checked, since a lot that expired leaves less
    usable stock without any movement."""
    actor = system_actor()
    return {"near_expiry": services.check_expiry(actor), "below_minimum": services.recheck_minimums(actor)}
