"""Under the ASGI server a CSV export streams in batches instead of being read whole into memory first."""

from __future__ import annotations

import warnings

import httpx

from tests.servers import asgi_server  # noqa: F401  (fixture)

from .stats_helpers import dataset  # noqa: F401  (fixture)


def test_the_csv_export_streams_under_asgi(dataset, asgi_server):
    session = dataset.cc.client().cookies["sessionid"].value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = httpx.get(f"{asgi_server.url}/callcenter/evaluasi/export.csv", cookies={"sessionid": session},
                      params={**dataset.params, "data": "calls"}, timeout=10)
    assert r.status_code == 200
    lines = r.text.strip().splitlines()
    assert len(lines) == 10 and lines[0].startswith("id,organization,channel,caller_number")
    assert not [w for w in caught if "consume synchronous iterators" in str(w.message)]
