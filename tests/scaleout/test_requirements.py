"""The scale-out tests skip, naming what is missing, unless the run has the Redis bus and PostgreSQL."""

import pytest
from django.db import connection

from tests.servers import scaleout_missing, skip_without_scaleout

NO_REDIS = "SIAGA_BUS=redis://... (and a running Redis)"
NO_POSTGRES = "DATABASE_URL=postgres://..."


def test_a_run_without_redis_and_postgresql_skips_naming_both(settings, monkeypatch):
    settings.SIAGA_BUS = "memory://"
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert scaleout_missing() == [NO_REDIS, NO_POSTGRES]
    assert scaleout_missing(postgres=False) == [NO_REDIS]  # the Redis bus tests need no PostgreSQL
    with pytest.raises(pytest.skip.Exception, match=r"needs SIAGA_BUS=redis://\.\.\. .* and DATABASE_URL=postgres"):
        skip_without_scaleout()


def test_redis_alone_is_enough_for_the_bus_but_not_for_two_servers(settings, monkeypatch):
    settings.SIAGA_BUS = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(connection, "vendor", "sqlite")
    skip_without_scaleout(postgres=False)  # does not skip
    with pytest.raises(pytest.skip.Exception, match="^needs DATABASE_URL=postgres://...$"):
        skip_without_scaleout()


def test_a_run_with_both_does_not_skip(settings, monkeypatch):
    settings.SIAGA_BUS = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(connection, "vendor", "postgresql")
    assert scaleout_missing() == []
    skip_without_scaleout()
