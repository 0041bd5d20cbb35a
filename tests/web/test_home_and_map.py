"""Home shows the active membership and a map of the scope; the map pages ask for the right boundaries."""

from urllib.parse import parse_qs, urlparse

from django.urls import reverse

from siaga.core.models import User


def _map_layers(html):
    attr = html.split("data-layers=\"", 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return [(urlparse(u).path, {k: v[0] for k, v in parse_qs(urlparse(u).query).items()}) for u in attr.split()]


def test_home_shows_the_active_membership(orgs, make_user, login):
    html = login(make_user("call_taker", orgs["mine"], scope_code="35.76")).get("/").content.decode()
    assert "PMI Kota Mojokerto" in html
    assert "Kota Mojokerto (35.76)" in html
    assert "data-siaga-map" in html


def test_a_kab_kota_scope_maps_its_kelurahan(orgs, make_user, login):
    html = login(make_user("call_taker", orgs["mine"], scope_code="35.76")).get("/").content.decode()
    assert _map_layers(html) == [(reverse("web:map_boundaries"), {"within": "35.76", "level": "4"})]


def test_a_province_scope_maps_its_kab_kota(orgs, make_user, login):
    html = login(make_user("disaster_manager", orgs["mine"], scope_code="35")).get("/").content.decode()
    assert _map_layers(html) == [(reverse("web:map_boundaries"), {"within": "35", "level": "2"})]


def test_a_national_scope_maps_all_kab_kota(orgs, make_user, login):
    html = login(make_user("leader", orgs["mine"], scope_code="")).get("/").content.decode()
    assert _map_layers(html) == [(reverse("web:map_boundaries"), {"level": "2"})] or _map_layers(html) == [
        (reverse("web:map_boundaries"), {"within": "", "level": "2"})
    ]
    assert "Nasional" in html


def test_a_platform_admin_without_membership_gets_home(db, regions, login):
    root = User.objects.create_superuser("root", password="Rahasia-Siaga-2026")
    r = login(root).get("/")
    assert r.status_code == 200
    assert 'href="/admin/"' in r.content.decode()


def test_the_map_page_offers_the_deeper_levels(orgs, make_user, login):
    c = login(make_user("call_taker", orgs["mine"], scope_code="35.76"))
    html = c.get("/map/").content.decode()
    layers = _map_layers(html)
    assert layers[0][1] == {"within": "35.76", "level": "4"}
    assert layers[1][1] == {"within": "35.76", "level": "3"}  # kecamatan outlines
    assert "level=3" in html and "level=1" not in html
    html = c.get("/map/", {"level": "3"}).content.decode()
    assert _map_layers(html) == [(reverse("web:map_boundaries"), {"within": "35.76", "level": "3"})]


def test_the_region_page_points_at_the_regions_api(orgs, make_user, login):
    html = login(make_user("call_taker", orgs["mine"], scope_code="35.76")).get("/regions/").content.decode()
    assert 'data-search-url="/api/regions/search"' in html
    assert 'id="region-level-labels" type="application/json"' in html
    assert '<option value="35.76">' in html
