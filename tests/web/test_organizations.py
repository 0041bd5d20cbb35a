"""Organisation pages show only what the actor may see; another organisation's record is a 404."""

from django.urls import reverse

from siaga.core import services
from siaga.core.permissions import actor_for


def test_the_list_shows_own_and_child_organisations_only(orgs, make_user, login):
    html = login(make_user("call_taker", orgs["mine"], scope_code="35.76")).get("/organizations/").content.decode()
    assert "PMI Kota Mojokerto" in html
    assert "Puskesmas Prajurit Kulon" in html
    assert "PMI Kabupaten Mojokerto" not in html
    assert "Kota Mojokerto" in html  # region name next to the code


def test_the_list_filters_by_name(orgs, make_user, login):
    c = login(make_user("call_taker", orgs["mine"], scope_code="35.76"))
    html = c.get("/organizations/", {"q": "puskesmas"}).content.decode()
    assert "Puskesmas Prajurit Kulon" in html
    assert f'href="/organizations/{orgs["mine"].pk}/"' not in html


def test_the_detail_of_another_organisation_is_not_found(orgs, make_user, login):
    c = login(make_user("administrator", orgs["mine"], scope_code="35.76"))
    r = c.get(reverse("web:organization", args=[orgs["theirs"].pk]))
    assert r.status_code == 404
    html = r.content.decode()
    assert "Halaman tidak ditemukan" in html or "Organisation not found" in html or "Organisasi" in html
    assert "PMI Kabupaten Mojokerto" not in html
    assert c.get(reverse("web:organization", args=[999999])).status_code == 404


def test_the_detail_shows_the_audit_trail_to_those_who_may_read_it(orgs, make_user, login):
    admin = make_user("administrator", orgs["mine"], scope_code="35.76")
    services.update_organization(actor_for(admin), orgs["child"].pk, phone="0321-123456")
    html = login(admin).get(reverse("web:organization", args=[orgs["child"].pk])).content.decode()
    assert "0321-123456" in html
    assert "<ins>0321-123456</ins>" in html
    assert admin.username in html

    kader = make_user("kader", orgs["mine"], scope_code="35.76")
    html = login(kader).get(reverse("web:organization", args=[orgs["child"].pk])).content.decode()
    assert "0321-123456" in html
    assert "<ins>" not in html


def test_the_detail_lists_child_organisations(orgs, make_user, login):
    html = login(make_user("call_taker", orgs["mine"])).get(
        reverse("web:organization", args=[orgs["mine"].pk])
    ).content.decode()
    assert reverse("web:organization", args=[orgs["child"].pk]) in html


def test_the_list_does_not_grow_queries_with_rows(orgs, make_org, make_user, login, django_assert_max_num_queries):
    for i in range(30):
        make_org(region_code="35.76", parent=orgs["mine"], name=f"Pos {i}")
    c = login(make_user("call_taker", orgs["mine"], scope_code="35.76"))
    with django_assert_max_num_queries(12):
        assert c.get("/organizations/").status_code == 200
