"""PWS tests: the figure cache is keyed by the health data version, which a rolled-back test database can repeat."""

import pytest


@pytest.fixture(autouse=True)
def _empty_pws_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
