"""The demo volunteers load on whatever regions exist, fill the merge queue with one real duplicate, and load once."""

from siaga.disaster.volunteers import demo_data
from siaga.disaster.volunteers.models import MatchCandidate, Volunteer
from siaga.geo.models import Region


def test_demo_volunteers_load_once_with_a_cross_province_duplicate(vregions, make_org, make_user):
    Region.objects.create(code="31.71.01", name="Gambir", level=3, parent_id="31.71")
    Region.objects.create(code="31.71.01.1001", name="Gambir", level=4, parent_id="31.71.01")
    dki = make_org(kind="pmi_province", region_code="31", code="pmi-dki")
    make_org(kind="pmi_province", region_code="32", code="pmi-jabar")
    make_org(kind="pmi_province", region_code="36", code="pmi-banten")  # no kelurahan loaded: skipped
    relawan = make_user("volunteer", dki, scope_code="31", username="relawan")
    created = demo_data.load_demo()
    assert created == len(demo_data.PEOPLE["pmi-dki"]) + len(demo_data.PEOPLE["pmi-jabar"])
    assert Volunteer.objects.get(user=relawan).name == "Soeparman"
    pair = MatchCandidate.objects.get(volunteer__name="Suparman S.", other__name="Soeparman")
    assert "nik_equal" in pair.reasons
    assert Volunteer.objects.filter(status="deployed").count() == 1
    assert demo_data.load_demo() == 0
