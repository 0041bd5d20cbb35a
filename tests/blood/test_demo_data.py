"""The demo loader builds sites, donors, a drive, stock and usage with the Indonesian ABO mix, and runs once."""

from siaga.blood import demo_data, services
from siaga.blood.models import Component, DailyUsage, Site


def test_it_loads_once_with_the_indonesian_abo_mix(db, regions, make_org):
    udd_org = make_org(kind="udd", region_code="35.76", code="udd-pmi-kota-mojokerto", name="UDD PMI Kota Mojokerto")
    make_org(kind="hospital", region_code="35.76", code="rs-3576014", name="RSUD Wahidin")
    first = demo_data.load_demo()
    assert first["sites"] == 2 and first["units"] > 50
    assert demo_data.load_demo() == {"skipped": "stock exists"}
    udd = Site.objects.get(organization=udd_org)
    counts = {abo: Component.objects.filter(site=udd, component_type__code="PRC", abo=abo).count()
              for abo in ("O", "A", "B", "AB")}
    assert counts["O"] > counts["A"] > counts["AB"]
    assert DailyUsage.objects.filter(site=udd).exists()
    # group B is short at the UDD (scenario 4): below two days of cover
    row = next(r for r in services.stock_table(udd) if r["component_type"] == "PRC" and r["group"] == "B+")
    assert row["level"] == "red"
