"""The sitrep and the report list cost the same number of queries for 2 areas as for 8 (no N+1)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.disaster.reports import services
from siaga.geo.models import Region

from .conftest import figures

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def _kelurahan(n):
    codes = []
    for i in range(n):
        code = f"35.76.02.{2001 + i}"
        Region.objects.update_or_create(code=code, defaults={"name": f"Kel {i}", "level": 4, "parent_id": "35.76.02"})
        codes.append(code)
    return codes


def _fill(setting, codes):
    for i, code in enumerate(codes):
        for source in ("government", "pmi"):
            services.create_field_report(setting["lead"], setting["event"].pk, region_code=code, source=source,
                                         source_name="BPBD" if source == "government" else "",
                                         reported_at=setting["t0"] + H, figures=figures(displaced=10 + i))
        services.record_activity(setting["lead"], setting["event"].pk, sector="food", activity="Dapur umum",
                                 region_code=code, reached=5, start_date=setting["t0"].date())


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_sitrep_and_lists_do_not_grow_with_areas(setting, login):
    codes = _kelurahan(8)
    c = login(setting["participant_user"])
    ev = setting["event"].pk
    urls = [f"/api/disaster/reports/events/{ev}/sitrep", f"/api/disaster/reports/events/{ev}/field-reports",
            f"/api/disaster/reports/events/{ev}/activities", f"/bencana/laporan/{ev}/",
            f"/bencana/laporan/{ev}/sitrep/"]
    _fill(setting, codes[:2])
    for u in urls:
        assert c.get(u).status_code == 200  # warm caches (sessions, region lookups)
    small = [_count(lambda u=u: c.get(u)) for u in urls]
    _fill(setting, codes[2:])
    large = [_count(lambda u=u: c.get(u)) for u in urls]
    assert large == small, list(zip(urls, small, large))
