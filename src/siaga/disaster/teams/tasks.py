"""Periodic jobs of team activation, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from siaga.core.permissions import system_actor

from . import services


@db_periodic_task(crontab(minute="*/5"))
def release_rested() -> int:
    """Every five minutes: volunteers whose rest after a shift is over become available again."""
    return len(services.release_rested(system_actor()))


@db_periodic_task(crontab(minute="*/5"))
def flag_long_shifts() -> int:
    """Every five minutes: shifts still on site past their limit are flagged on the live roster (once each)."""
    return len(services.flag_long_shifts(system_actor()))
