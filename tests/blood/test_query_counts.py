"""Lists do not grow their query count with their rows (an N+1 regression fails here)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from . import factories


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.content
    return len(ctx)


@pytest.mark.parametrize("url,make", [
    ("/api/blood/donors", lambda org: factories.donor_for(org)),
    ("/api/blood/components", lambda org: factories.component_for(org)),
    ("/api/blood/donations", lambda org: factories.donation_for(org)),
    ("/api/blood/sessions", lambda org: factories.session_for(org)),
])
def test_list_queries_do_not_grow_with_rows(blood, login, url, make):
    client = login(blood.officer_user)
    make(blood.pmi)
    few = count_queries(client, url)
    for _ in range(5):
        make(blood.pmi)
    assert count_queries(client, url) == few
