"""Background and periodic jobs of the blood service, run by the huey consumer (`siaga worker`)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import services


@db_periodic_task(crontab(minute="*/5"))
def expire_outdated_units() -> int:
    """Every 5 minutes: units past their expiry become expired (they count in the outdate rate)."""
    return services.expire_components()


@db_periodic_task(crontab(minute="7"))
def raise_near_expiry_alerts() -> int:
    """Hourly: one alert per site and cell with available units expiring within 72 hours."""
    return services.scan_near_expiry()


@db_periodic_task(crontab(minute="*"))
def release_lapsed_reservations() -> int:
    """Every minute: reservations not collected in time give their units back to stock."""
    from . import services_issue

    return services_issue.expire_reservations()


@db_periodic_task(crontab(minute="*"))
def send_queued_recalls() -> int:
    """Every minute: recall texts still queued (e.g. a worker stopped mid-campaign) go to the SMS outbox."""
    from . import services_issue

    return services_issue.send_recall_messages()


@db_periodic_task(crontab(minute="*"))
def respond_to_shortages() -> int:
    """Every minute: red-cell shortage alerts left without suggestions and a proposed recall (the process that
    raised one stopped before its after-commit step) get them."""
    from . import services_issue

    return services_issue.respond_to_open_shortages()
