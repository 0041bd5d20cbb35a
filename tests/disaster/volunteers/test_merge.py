"""Merge review queue: merging keeps one record and moves certificates and skills in one action; dismissing;
who may decide; what another province sees."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.disaster.volunteers import services
from siaga.disaster.volunteers.models import Certificate, MatchCandidate, Volunteer

from .conftest import KEL_BKS, nik

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def pair(world, reg, make_user):
    """The same man registered in Kota Mojokerto (old spelling) and in Kota Bekasi."""
    user = make_user("volunteer", world["jabar"], scope_code="32")
    mjk = reg(world["a_mjk"], name="Soeparman", skills=["first_aid"], blood_abo="A", blood_rhd="pos").volunteer
    services.add_certificate(world["a_mjk"], mjk.pk, name="Pertolongan Pertama", skill="first_aid",
                             issued_on=dt.date(2025, 1, 10), expires_on=dt.date(2028, 1, 10), issuer="PMI Pusat")
    res = reg(world["a_jabar"], name="Suparman S.", region_code=KEL_BKS, phone="081299998888",
              skills=["water_rescue"], user_id=user.pk)
    services.add_certificate(world["a_jabar"], res.volunteer.pk, name="Water rescue", skill="water_rescue",
                             issued_on=dt.date(2024, 3, 1), expires_on=dt.date(2026, 3, 1))
    return {"mjk": mjk, "bks": res.volunteer, "cand": res.candidates[0], "user": user}


def test_merge_keeps_one_record_and_moves_everything_in_one_action(world, pair, capture_events):
    with capture_events() as evs:
        kept = services.merge_candidate(world["a_jabar"], pair["cand"].pk, keep_id=pair["mjk"].pk, note="KTP sama")
    bks = Volunteer.objects.get(pk=pair["bks"].pk)
    kept.refresh_from_db()
    assert bks.merged_into == kept and not bks.active and bks.merged_at is not None
    assert sorted(kept.skills.values_list("code", flat=True)) == ["first_aid", "water_rescue"]
    assert sorted(Certificate.objects.filter(volunteer=kept).values_list("name", flat=True)) == [
        "Pertolongan Pertama", "Water rescue"]
    assert not Certificate.objects.filter(volunteer=bks).exists()
    # The user account follows the person to the record kept.
    assert kept.user == pair["user"] and bks.user is None
    cand = MatchCandidate.objects.get(pk=pair["cand"].pk)
    assert (cand.status, cand.kept, cand.note) == ("merged", kept, "KTP sama")
    assert {e["type"] for e in evs} == {"volunteer.match_decided", "volunteer.updated"}
    decided = [e for e in evs if e["type"] == "volunteer.match_decided"][0]
    assert decided["payload"] == {"id": cand.pk, "status": "merged", "kept_id": kept.pk, "merged_id": bks.pk}
    assert decided["shared_with"] == [world["mojokerto"].pk]
    assert AuditLog.objects.filter(model="disaster_volunteers.volunteer", object_id=str(bks.pk),
                                   changes__has_key="merged_into_id").exists()


def test_a_merged_record_leaves_the_lists_and_the_volunteer_sees_the_kept_one(world, pair, actor_of):
    services.merge_candidate(world["a_jabar"], pair["cand"].pk, keep_id=pair["mjk"].pk)
    assert not services.visible_volunteers(world["a_jabar"]).filter(pk=pair["bks"].pk).exists()
    me = actor_of(pair["user"])
    assert services.own_volunteer(me).pk == pair["mjk"].pk
    assert list(services.visible_volunteers(me).values_list("pk", flat=True)) == [pair["mjk"].pk]


def test_only_the_organisation_of_the_record_merged_away_may_merge(world, pair):
    # Kota Mojokerto may not fold Jawa Barat's record into its own...
    with pytest.raises(PermissionDenied):
        services.merge_candidate(world["a_mjk"], pair["cand"].pk, keep_id=pair["mjk"].pk)
    assert Volunteer.objects.get(pk=pair["bks"].pk).merged_into is None
    # ...but may fold its own into Jawa Barat's.
    services.merge_candidate(world["a_mjk"], pair["cand"].pk, keep_id=pair["bks"].pk)
    assert Volunteer.objects.get(pk=pair["mjk"].pk).merged_into_id == pair["bks"].pk


def test_keep_must_be_one_of_the_pair_and_a_decision_is_final(world, pair, reg):
    with pytest.raises(ServiceError) as exc:
        services.merge_candidate(world["a_jabar"], pair["cand"].pk, keep_id=999999)
    assert exc.value.code == "invalid_keep"
    services.dismiss_candidate(world["a_jabar"], pair["cand"].pk, note="Orang berbeda")
    with pytest.raises(Conflict):
        services.merge_candidate(world["a_jabar"], pair["cand"].pk, keep_id=pair["mjk"].pk)
    assert Volunteer.objects.filter(merged_into__isnull=False).count() == 0


def test_dismiss_closes_the_candidate_and_changes_no_volunteer(world, pair, capture_events):
    before = sorted(Volunteer.objects.values_list("pk", "active", "merged_into_id"))
    with capture_events() as evs:
        c = services.dismiss_candidate(world["a_mjk"], pair["cand"].pk)
    assert c.status == "dismissed" and c.decided_by == world["m_mjk"]
    assert sorted(Volunteer.objects.values_list("pk", "active", "merged_into_id")) == before
    assert [e["type"] for e in evs] == ["volunteer.match_decided"]


def test_an_unrelated_organisation_neither_sees_nor_decides_the_candidate(world, pair, make_org, make_user, actor_of):
    banten = make_org(kind="pmi_province", region_code="36")
    outsider = actor_of(make_user("disaster_manager", banten, scope_code="36"))
    assert not services.visible_candidates(outsider).exists()
    with pytest.raises(NotFound):
        services.dismiss_candidate(outsider, pair["cand"].pk)
    with pytest.raises(NotFound):
        services.merge_candidate(outsider, pair["cand"].pk, keep_id=pair["mjk"].pk)


def test_the_other_side_shows_minimal_fields_only(world, pair):
    view = services.candidate_view(world["a_mjk"], pair["bks"])
    assert view["own"] is False and view["skills"] == []
    assert view["phone"] == "+62812****8888"
    assert "nik" not in " ".join(view) and "nik_masked" not in view
    assert services.candidate_view(world["a_mjk"], pair["mjk"])["phone"] == "+6281234567890"


def test_open_candidates_of_the_merged_record_move_to_the_kept_one(world, pair, reg):
    # Same name and birth date as both records: candidates with each of them.
    both = reg(world["a_jatim"], name="Suparman", nik=nik(serial=33), phone="081211110000").volunteer
    # Same name, same kelurahan as the Bekasi record only (another birth date).
    bks_only = reg(world["a_jabar"], name="Suparman", nik=nik(district="327501", day=1, month=2, year=77, serial=5),
                   region_code=KEL_BKS, phone="081200001111").volunteer
    c_both = MatchCandidate.objects.get(volunteer=both, other=pair["bks"])
    c_bks = MatchCandidate.objects.get(volunteer=bks_only, other=pair["bks"])
    assert not MatchCandidate.objects.filter(volunteer=bks_only, other=pair["mjk"]).exists()
    services.merge_candidate(world["a_jabar"], pair["cand"].pk, keep_id=pair["mjk"].pk)
    c_both.refresh_from_db()
    c_bks.refresh_from_db()
    assert c_both.status == "dismissed"  # the pair (both, kept) already has its own candidate
    assert MatchCandidate.objects.get(volunteer=both, other=pair["mjk"]).status == "open"
    assert (c_bks.status, c_bks.volunteer_id, c_bks.other_id) == ("open", bks_only.pk, pair["mjk"].pk)
