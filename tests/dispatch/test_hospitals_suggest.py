"""Destination suggestions: hospitals that can take the patient, nearest by road from the scene; the others after."""

from __future__ import annotations

import pytest

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.dispatch import hospitals
from tests.routing.conftest import _var_dir, square_file, square_network  # noqa: F401  (fixtures)

# On the square (A SW, B NW, C NE, D SE; Jl. Satu Arah one-way A->B): the scene is on Jl. Utara just east of B.
SCENE = (-7.4700, 112.4205)


def _hospital(make_org, name, lat, lng, region="35.76.03", **capacity):
    org = make_org(kind="hospital", region_code=region, name=name)
    org.lat, org.lng = lat, lng
    org.save(update_fields=["lat", "lng"])
    if capacity:
        hospitals.update_capacity(system_actor(), org.pk, **capacity)
    return org


@pytest.fixture
def square_hospitals(fleet, square_network, make_org):
    beds = {"emergency_beds_total": 6, "icu_beds_total": 2, "operating_theatres_total": 1}
    return {
        # Half-way down the one-way street: 0.6 km from the scene in a straight line, 3.7 km by road (round by C, D, A).
        "satu_arah": _hospital(make_org, "RS Satu Arah", -7.4750, 112.4200, accepting=True, emergency_beds_free=3,
                               **beds),
        # At C: 0.9 km straight, and 0.9 km by road along Jl. Utara.
        "utara": _hospital(make_org, "RS Utara", -7.4700, 112.4290, accepting=True, emergency_beds_free=1, **beds),
        # Next to the scene, but its emergency department is full.
        "penuh": _hospital(make_org, "RS Penuh", -7.4700, 112.4215, accepting=True, emergency_beds_free=0,
                           icu_beds_free=2, **beds),
        # Close too, but not accepting patients now.
        "tutup": _hospital(make_org, "RS Tutup", -7.4700, 112.4230, accepting=False, emergency_beds_free=4,
                           note="Listrik padam", **beds),
        # Across the kab/kota border in Kabupaten Mojokerto, 0.35 km east along Jl. Utara: the same province, so
        # the city's crews may take a patient there like to any other hospital.
        "kabupaten": _hospital(make_org, "RS Kabupaten", -7.4700, 112.4240, region="35.16.01", accepting=True,
                               emergency_beds_free=5, **beds),
        # Registered in another province (DKI Jakarta). Placed right by the scene so that only the province rule,
        # not the distance, can keep it out of a Mojokerto dispatcher's suggestions.
        "jakarta": _hospital(make_org, "RS Jakarta", -7.4700, 112.4210, region="31.71", accepting=True,
                             emergency_beds_free=4, **beds),
    }


def test_the_nearer_hospital_by_road_wins_and_a_full_one_is_ranked_after(fleet, square_hospitals):
    h = square_hospitals
    out = hospitals.suggest_destinations(fleet.actor("dispatcher"), *SCENE, need="emergency")
    names = [r["name"] for r in out["hospitals"]]
    available = [r["name"] for r in out["hospitals"] if r["available"]]
    assert available == ["RS Kabupaten", "RS Utara", "RS Satu Arah"]
    assert names[:3] == available
    rows = {r["organization_id"]: r for r in out["hospitals"]}
    kabupaten, utara, satu_arah = rows[h["kabupaten"].pk], rows[h["utara"].pk], rows[h["satu_arah"].pk]
    assert utara["estimate"] is False and satu_arah["estimate"] is False
    assert utara["distance_m"] == pytest.approx(940, rel=0.05)
    assert satu_arah["distance_m"] == pytest.approx(3700, rel=0.05)
    assert utara["eta_seconds"] < satu_arah["eta_seconds"]
    # The kabupaten's hospital, across the kab/kota border, is ranked by its road time with the city's.
    assert kabupaten["estimate"] is False and kabupaten["eta_seconds"] < utara["eta_seconds"]
    assert kabupaten["distance_m"] < utara["distance_m"]
    # Full and closed hospitals are listed after, flagged with the reason, never hidden.
    assert rows[h["penuh"].pk]["available"] is False and rows[h["penuh"].pk]["reason"] == "full"
    assert rows[h["penuh"].pk]["reason_text"]
    assert rows[h["tutup"].pk]["reason"] == "not_accepting"
    assert names.index("RS Penuh") > names.index("RS Satu Arah")
    assert names.index("RS Tutup") > names.index("RS Satu Arah")
    # The unreported hospital of the fixture comes last-group too.
    assert rows[fleet.hospital.pk]["reason"] == "no_report"


def test_the_kind_of_bed_needed_changes_the_order(fleet, square_hospitals):
    out = hospitals.suggest_destinations(fleet.actor("dispatcher"), *SCENE, need="icu")
    available = [r["name"] for r in out["hospitals"] if r["available"]]
    # Only RS Penuh has a free ICU bed; its full emergency department does not matter for an ICU patient.
    assert available == ["RS Penuh"] and out["hospitals"][0]["name"] == "RS Penuh"
    assert out["hospitals"][0]["free"] == 2 and out["hospitals"][0]["total"] == 2


def test_suggestions_leave_out_hospitals_outside_my_area(fleet, square_hospitals):
    h = square_hospitals
    ids = {r["organization_id"] for r in
           hospitals.suggest_destinations(fleet.actor("dispatcher"), *SCENE)["hospitals"]}
    # Another province is out, however close; across the kab/kota border is in.
    assert h["jakarta"].pk not in ids
    assert h["kabupaten"].pk in ids and h["utara"].pk in ids


def test_the_kabupaten_dispatcher_is_suggested_the_city_hospitals_too(fleet, square_hospitals):
    h = square_hospitals
    out = hospitals.suggest_destinations(fleet.actor("other_dispatcher"), *SCENE)
    available = [r["name"] for r in out["hospitals"] if r["available"]]
    assert available == ["RS Kabupaten", "RS Utara", "RS Satu Arah"]
    assert h["jakarta"].pk not in {r["organization_id"] for r in out["hospitals"]}


def test_suggestions_through_the_api(fleet, square_hospitals):
    r = fleet.client("crew").get(f"/api/dispatch/hospitals/suggest?lat={SCENE[0]}&lng={SCENE[1]}&need=emergency"
                                 "&limit=3")
    assert r.status_code == 200, r.content
    body = r.json()
    assert [h["name"] for h in body["hospitals"]] == ["RS Kabupaten", "RS Utara", "RS Satu Arah"]
    assert body["need"] == "emergency"
    assert fleet.client("dispatcher").get("/api/dispatch/hospitals/suggest?lat=1&lng=2&need=beds").status_code == 422
    assert fleet.client("call_taker").get("/api/dispatch/hospitals/suggest?lat=1&lng=2").status_code == 403


def test_a_bad_scene_is_a_clear_error(fleet):
    with pytest.raises(ServiceError) as exc:
        hospitals.suggest_destinations(fleet.actor("dispatcher"), 95.0, 112.4)
    assert exc.value.code == "invalid_position"
    with pytest.raises(ServiceError) as exc:
        hospitals.suggest_destinations(fleet.actor("dispatcher"), -7.47, 112.42, need="beds")
    assert exc.value.code == "invalid_need"


def test_off_the_network_the_times_are_estimates(fleet):
    # No road network at all: straight-line estimates still rank the hospitals.
    out = hospitals.suggest_destinations(fleet.actor("dispatcher"), -7.4706, 112.4387)
    [row] = out["hospitals"]
    assert row["organization_id"] == fleet.hospital.pk and row["estimate"] is True and row["eta_seconds"] > 0
