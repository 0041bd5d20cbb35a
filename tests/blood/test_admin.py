"""Back office: blood officers browse their own sites and units read-only; reference data is for platform admins."""

from siaga.blood.models import Site

from . import factories


def test_a_staff_blood_officer_sees_own_sites_and_units_read_only(blood, make_user, login, make_units, make_org):
    user = make_user("blood_bank_officer", blood.pmi, scope_code="35.76", is_staff=True)
    other = make_org(kind="udd", region_code="35.76")
    factories.site_for(other)
    (unit,) = make_units()
    c = login(user)
    sites = c.get("/admin/blood/site/")
    assert sites.status_code == 200
    assert list(sites.context["cl"].queryset) == [blood.udd]
    assert Site.objects.count() == 3
    assert c.get(f"/admin/blood/component/{unit.pk}/change/").status_code == 200
    assert c.post(f"/admin/blood/component/{unit.pk}/change/", {"status": "discarded"}).status_code == 403
    r = c.get("/admin/blood/componenttype/")
    assert r.status_code == 200
    assert not r.context["has_add_permission"]
