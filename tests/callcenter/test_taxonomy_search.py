"""The taxonomy is searchable for the call-taker's form by name, keywords and category."""

import pytest

from siaga.callcenter import services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query,expected", [
    ("tabrakan", "kecelakaan-lalu-lintas"),
    ("laka", "kecelakaan-lalu-lintas"),
    ("ular", "hewan-berbahaya"),
    ("PLN", "listrik-putus"),
    ("melahirkan", "persalinan"),
    ("longsor", "tanah-longsor"),
    ("kebakaran lahan", "kebakaran-lahan"),
])
def test_it_finds_types_by_everyday_words(taxonomy, query, expected):
    assert expected in [t.code for t in services.search_types(query)]


def test_every_word_must_match(taxonomy):
    assert [t.code for t in services.search_types("kebakaran kendaraan")] == ["kebakaran-kendaraan"]


def test_inactive_types_are_not_offered(taxonomy):
    taxonomy["banjir"].active = False
    taxonomy["banjir"].save()
    assert "banjir" not in [t.code for t in services.search_types("banjir")]


def test_api_lists_types_with_key_questions(cc):
    r = cc.client().get("/api/callcenter/incident-types", {"q": "stroke"})
    assert r.status_code == 200
    body = r.json()
    assert [t["code"] for t in body] == ["stroke"]
    assert body[0]["key_questions"][0]["if_yes"] == 1
    assert body[0]["default_agency_kinds"] == ["psc119"]


def test_api_lists_priority_policies(cc):
    r = cc.client().get("/api/callcenter/priority-policies")
    assert r.status_code == 200
    assert [(p["priority"], p["response_target_minutes"], p["ack_deadline_minutes"]) for p in r.json()] == [
        (1, 8, 2), (2, 15, 5), (3, 30, 10), (4, 60, 30)]


def test_anonymous_cannot_read_the_taxonomy(client, taxonomy):
    assert client.get("/api/callcenter/incident-types").status_code == 401
