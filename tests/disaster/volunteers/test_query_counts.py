"""The volunteer list and the merge queue cost the same number of queries for 2 rows as for 6 (no N+1)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for

from .conftest import nik


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_rows(world, reg):
    import datetime as dt

    from siaga.disaster.volunteers import services

    c = client_for(world["m_mjk"])

    def add(i):
        v = reg(world["a_mjk"], name=f"Relawan {chr(65 + i)}nto", nik=nik(serial=i + 1, day=i + 1),
                phone=f"08123456{i:04d}", skills=["first_aid"]).volunteer
        services.add_certificate(world["a_mjk"], v.pk, name="PP", issued_on=dt.date(2025, 1, 1))

    for i in range(2):
        add(i)
    few = _queries(c, "/api/disaster/volunteers")
    for i in range(2, 6):
        add(i)
    assert _queries(c, "/api/disaster/volunteers") == few
    page_few = _queries(c, "/bencana/relawan/")
    add(7)
    assert _queries(c, "/bencana/relawan/") == page_few


def test_merge_queue_queries_do_not_grow_with_candidates(world, reg):
    from .conftest import KEL_BKS

    c = client_for(world["m_jabar"])

    def twin(i):
        name = ["Soeparman", "Djoko Soesilo", "Tjahjo Kumolo", "Sjamsul Bahri"][i]
        person = nik(serial=50 + i, day=i + 1)
        reg(world["a_mjk"], name=name, nik=person, phone=f"08129999{i:04d}")
        reg(world["a_jabar"], name=name, nik=person, phone=f"08128888{i:04d}", region_code=KEL_BKS)

    twin(0)
    one = _queries(c, "/api/disaster/volunteers/candidates")
    page_one = _queries(c, "/bencana/relawan/duplikat/")
    for i in range(1, 4):
        twin(i)
    assert client_for(world["m_jabar"]).get("/api/disaster/volunteers/candidates").json()["count"] == 4
    assert _queries(c, "/api/disaster/volunteers/candidates") == one
    assert _queries(c, "/bencana/relawan/duplikat/") == page_one
