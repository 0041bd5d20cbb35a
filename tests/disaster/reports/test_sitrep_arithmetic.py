"""Sitrep arithmetic on a hand-checked dataset: which source wins, how areas add up, and change since last period.

Dataset (t0 = event start; period 1 = t0 .. t0+6h, period 2 = t0+6h .. t0+12h):

  kelurahan A (35.76.01.1006)  gov  t0+1h  dead 3 missing 2 injured 10 displaced 100 affected 400
                                            light 20 moderate 5 heavy 1 assisted 50
                               pmi  t0+30m dead 9 ... (older PMI report: superseded by the next one)
                               pmi  t0+2h  dead 5 missing 1 injured 12 displaced 90 affected 450
                                            light 25 moderate 4 heavy 2 assisted 80
                               gov correction (same as-of t0+1h): dead 3 -> 4
  kelurahan B (35.76.01.1007)  other t0+1h ("Kepala desa") dead 1 injured 2 displaced 30 affected 60 light 3
                               pmi   t0+1h dead 2 injured 1 displaced 20 affected 80 assisted 25
                               other correction with a NEW as-of t0+7h: affected 60 -> 120
  kecamatan K (35.76.01)       gov  t0+3h  dead 4 missing 1 injured 10 displaced 150 affected 500
                                            light 20 moderate 10 heavy 2 assisted 0
  kelurahan C (35.76.03.1001)  gov  t0+1h  displaced 10 affected 40
                               pmi  t0+8h  dead 1 displaced 15 affected 50 assisted 40   (period 2)

Chosen per area at t0+6h:
  A: dead 4 gov (government first, though PMI says 5), missing 2 gov, injured 12 pmi, displaced 100 gov,
     affected 450 pmi, light 25 pmi, moderate 5 gov, heavy 2 pmi, assisted 80 pmi (PMI first)
  B: dead 2 pmi (no government report: the highest), missing 0 pmi (tie: PMI before other),
     injured 2 other, displaced 30 other, affected 80 pmi, light 3 other, assisted 25 pmi
  K: its own government figures.  Per figure K counts max(own, A + B):
     dead max(4, 6)=6, missing max(1, 2)=2, injured max(10, 14)=14, displaced max(150, 130)=150,
     affected max(500, 530)=530, light max(20, 28)=28, moderate max(10, 5)=10, heavy max(2, 2)=2,
     assisted max(0, 105)=105
  C: displaced 10, affected 40 (government only)
  Totals period 1: dead 6 missing 2 injured 14 displaced 160 affected 570 light 28 moderate 10 heavy 2
                   assisted 105
At t0+12h: B affected 120 (other, corrected) -> K affected max(500, 570)=570; C: dead 0 (government first, PMI
says 1), displaced 15, affected 50, assisted 40 (PMI first).
  Totals period 2: dead 6 missing 2 injured 14 displaced 165 affected 620 light 28 moderate 10 heavy 2
                   assisted 145
  Change: displaced +5, affected +50, assisted +40, everything else 0 (the dead correction kept its as-of time,
  so it restates period 1 too).
"""

import datetime as dt

import pytest

from siaga.disaster.reports import services, sitrep
from siaga.disaster.reports.models import FIGURES

from .conftest import KEC, KEL_A, KEL_B, KEL_C, figures

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def dataset(setting):
    s, t0 = setting, setting["t0"]
    ev = s["event"].pk

    def rep(actor, code, source, at, name="", **figs):
        r, _ = services.create_field_report(actor, ev, region_code=code, source=source, source_name=name,
                                            reported_at=at, figures=figures(**figs))
        return r

    lead, part = s["lead"], s["participant"]
    ids = {}
    ids["A_gov"] = rep(lead, KEL_A, "government", t0 + H, "BPBD Kota Mojokerto", dead=3, missing=2, injured=10,
                       displaced=100, affected=400, houses_damaged_light=20, houses_damaged_moderate=5,
                       houses_damaged_heavy=1, assisted=50)
    rep(lead, KEL_A, "pmi", t0 + H / 2, dead=9, missing=9, injured=99, displaced=999, affected=999, assisted=999)
    ids["A_pmi"] = rep(part, KEL_A, "pmi", t0 + 2 * H, dead=5, missing=1, injured=12, displaced=90, affected=450,
                       houses_damaged_light=25, houses_damaged_moderate=4, houses_damaged_heavy=2, assisted=80)
    ids["A_gov_v2"], _ = services.correct_field_report(lead, ids["A_gov"].pk, reason="korban teridentifikasi",
                                                       figures={"dead": 4})
    ids["B_other"] = rep(lead, KEL_B, "other", t0 + H, "Kepala desa", dead=1, injured=2, displaced=30, affected=60,
                         houses_damaged_light=3)
    ids["B_pmi"] = rep(lead, KEL_B, "pmi", t0 + H, dead=2, injured=1, displaced=20, affected=80, assisted=25)
    ids["K_gov"] = rep(lead, KEC, "government", t0 + 3 * H, "BPBD Kota Mojokerto", dead=4, missing=1, injured=10,
                       displaced=150, affected=500, houses_damaged_light=20, houses_damaged_moderate=10,
                       houses_damaged_heavy=2)
    ids["C_gov"] = rep(lead, KEL_C, "government", t0 + H, "BPBD Kota Mojokerto", displaced=10, affected=40)
    ids["B_other_v2"], _ = services.correct_field_report(lead, ids["B_other"].pk, reason="pendataan ulang",
                                                         figures={"affected": 120}, reported_at=t0 + 7 * H)
    ids["C_pmi"] = rep(part, KEL_C, "pmi", t0 + 8 * H, dead=1, displaced=15, affected=50, assisted=40)
    return ids


def total(**kw):
    return {f: kw.get(f, 0) for f in FIGURES}


PERIOD_1 = total(dead=6, missing=2, injured=14, displaced=160, affected=570, houses_damaged_light=28,
                 houses_damaged_moderate=10, houses_damaged_heavy=2, assisted=105)
PERIOD_2 = total(dead=6, missing=2, injured=14, displaced=165, affected=620, houses_damaged_light=28,
                 houses_damaged_moderate=10, houses_damaged_heavy=2, assisted=145)


def test_period_one_totals_and_which_source_wins(setting, dataset):
    t0 = setting["t0"]
    data = services.compute_sitrep(setting["lead"], setting["event"].pk, period_start=t0, period_end=t0 + 6 * H)
    assert data["totals"] == PERIOD_1
    assert data["previous_totals"] == total() and data["change"] == PERIOD_1
    areas = {a["region_code"]: a["figures"] for a in data["areas"]}
    assert set(areas) == {KEC, KEL_A, KEL_B, KEL_C}
    a = areas[KEL_A]
    assert (a["dead"]["value"], a["dead"]["source"], a["dead"]["report_id"]) == (4, "government",
                                                                               dataset["A_gov_v2"].pk)
    assert a["dead"]["source_name"] == "BPBD Kota Mojokerto" and a["dead"]["rule"] == "government_first"
    assert (a["assisted"]["value"], a["assisted"]["source"], a["assisted"]["rule"]) == (80, "pmi", "pmi_first")
    assert (a["affected"]["value"], a["affected"]["source"], a["affected"]["rule"]) == (450, "pmi", "maximum")
    assert (a["displaced"]["value"], a["displaced"]["source"]) == (100, "government")
    assert a["injured"]["report_id"] == dataset["A_pmi"].pk  # the older PMI report (99 injured) no longer counts
    b = areas[KEL_B]
    assert (b["dead"]["value"], b["dead"]["source"]) == (2, "pmi")  # no government: the highest
    assert (b["missing"]["value"], b["missing"]["source"]) == (0, "pmi")  # tie: PMI before other
    assert (b["displaced"]["value"], b["displaced"]["source"], b["displaced"]["source_name"]) == (30, "other",
                                                                                                 "Kepala desa")
    assert (b["affected"]["value"], b["affected"]["source"]) == (80, "pmi")
    assert areas[KEC]["displaced"]["value"] == 150
    assert data["reports_in_period"] == 8  # every version with an as-of inside the period


def test_period_two_totals_and_change_since_period_one(setting, dataset):
    t0 = setting["t0"]
    data = services.compute_sitrep(setting["lead"], setting["event"].pk, period_start=t0 + 6 * H,
                                   period_end=t0 + 12 * H)
    assert data["totals"] == PERIOD_2
    assert data["previous_totals"] == PERIOD_1
    assert data["change"] == total(displaced=5, affected=50, assisted=40)
    areas = {a["region_code"]: a["figures"] for a in data["areas"]}
    c = areas[KEL_C]
    assert (c["dead"]["value"], c["dead"]["source"]) == (0, "government")  # PMI's 1 is shown, not counted
    assert (c["assisted"]["value"], c["assisted"]["source"]) == (40, "pmi")
    assert (areas[KEL_B]["affected"]["value"], areas[KEL_B]["affected"]["report_id"]) == (
        120, dataset["B_other_v2"].pk)
    sources = {a["region_code"]: a["sources"] for a in data["areas"]}
    assert sources[KEL_C]["pmi"]["figures"]["dead"] == 1
    assert data["rules"]["dead"] == "government_first" and data["rules"]["houses_damaged_heavy"] == "maximum"


def test_the_sitrep_names_the_phase_participants_and_needs(setting, dataset):
    t0 = setting["t0"]
    data = services.compute_sitrep(setting["participant"], setting["event"].pk, period_start=t0,
                                   period_end=t0 + 12 * H)
    assert data["event"]["phase"] == "emergency_response"
    assert [p["name"] for p in data["event"]["participants"]] == ["PMI Provinsi Banten"]
    assert data["event"]["lead"]["name"] == "PMI Provinsi Jawa Timur"
    needs = data["needs"]
    # No needs reports: estimated from the chosen displaced/affected of each reported area (7 days, BNPB).
    assert needs["basis"] == "field_reports"
    assert needs["displaced"] == 150 + 100 + 30 + 15
    rice = next(ln for ln in needs["lines"] if ln["item"] == "rice")
    # 0.4 kg a day x 7 days per displaced person, rounded up per area: 150 -> 420, 100 -> 280, 30 -> 84, 15 -> 42
    assert rice["quantity"] == 420 + 280 + 84 + 42


def test_the_default_period_starts_where_the_last_issued_sitrep_ended(setting, dataset):
    t0 = setting["t0"]
    sr, _ = services.issue_sitrep(setting["lead"], setting["event"].pk, period_start=t0, period_end=t0 + 6 * H)
    data = services.compute_sitrep(setting["lead"], setting["event"].pk, period_end=t0 + 12 * H)
    assert data["period"]["start"] == sr.period_end.isoformat()
    assert data["previous_totals"] == PERIOD_1 and data["totals"] == PERIOD_2
    assert data["previous_issued"]["number"] == 1


def test_pure_rule_ties_and_missing_sources():
    def sf(source, **figs):
        return sitrep.SourceFigures(source=source, source_name="", report_id=hash(source) % 1000,
                                    reported_at="2026-01-01T00:00:00+00:00", figures=figures(**figs))

    by = {"other": sf("other", dead=7, assisted=9, displaced=5), "pmi": sf("pmi", dead=3, displaced=5)}
    assert sitrep.choose("dead", by).value == 7  # no government: the highest
    assert sitrep.choose("assisted", by).source == "pmi"  # PMI first, even with a higher other figure
    assert sitrep.choose("displaced", by).source == "pmi"  # a tie goes to PMI before other
    assert sitrep.choose("dead", {}) is None
    by["government"] = sf("government", dead=1, displaced=5)
    assert (sitrep.choose("dead", by).value, sitrep.choose("dead", by).source) == (1, "government")
    assert sitrep.choose("displaced", by).source == "government"


def test_pure_totals_never_count_a_kecamatan_and_its_kelurahan_twice():
    chosen = {KEC: {"affected": 500, "dead": 1}, KEL_A: {"affected": 300}, KEL_B: {"affected": 100, "dead": 2},
              KEL_C: {"affected": 40}}
    out = sitrep.totals(chosen)
    assert out["affected"] == 500 + 40 and out["dead"] == 2
