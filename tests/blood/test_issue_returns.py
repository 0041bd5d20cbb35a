"""Returns go back to stock only with the cold chain kept; discards carry their reason; transfusion closes the chain."""

import pytest

from siaga.blood import services_issue as si
from siaga.blood.models import Component, DailyUsage, Discard, IssueItem, Return
from siaga.core.errors import ServiceError

from .test_issue_support import HANDOVER, make_request  # noqa: F401


@pytest.fixture
def issued(blood, make_request, make_units):
    make_units(abo="O", rhd="pos", n=2)
    req = make_request(quantity=2)
    return si.issue_request(blood.officer, req.pk, **HANDOVER)


def test_a_unit_returned_cold_and_quickly_goes_back_to_stock(blood, issued):
    unit = issued.items.first().component
    ret = si.return_unit(blood.officer, unit.pk, temperature_c="5", minutes_out_of_storage=20)
    unit.refresh_from_db()
    assert ret.accepted and ret.cold_chain_ok and unit.status == "available"
    assert IssueItem.objects.get(component=unit).returned
    assert DailyUsage.objects.get(site=blood.udd, abo="O", rhd="pos").issued == 1


@pytest.mark.parametrize("kw, why", [
    (dict(temperature_c="12", minutes_out_of_storage=10), "12.0"),
    (dict(temperature_c="4", minutes_out_of_storage=45), "45"),
    (dict(temperature_c="4", minutes_out_of_storage=5, seal_intact=False), ""),
])
def test_a_unit_returned_outside_the_cold_chain_is_discarded(blood, issued, kw, why):
    unit = issued.items.first().component
    ret = si.return_unit(blood.officer, unit.pk, **kw)
    unit.refresh_from_db()
    assert not ret.accepted and not ret.cold_chain_ok and why in ret.reason and ret.reason
    assert unit.status == "discarded" and Discard.objects.get(component=unit).reason == "cold_chain"


def test_a_unit_not_issued_cannot_be_returned(blood, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    with pytest.raises(ServiceError):
        si.return_unit(blood.officer, unit.pk, temperature_c="4", minutes_out_of_storage=5)
    assert not Return.objects.exists()


def test_the_hospital_records_the_transfusion(blood, issued):
    item = issued.items.first()
    si.record_transfusion(blood.hospital_officer, item.pk)
    item.refresh_from_db()
    assert item.transfused_at is not None and Component.objects.get(pk=item.component_id).status == "transfused"
    with pytest.raises(ServiceError):
        si.return_unit(blood.officer, item.component_id, temperature_c="4", minutes_out_of_storage=5)


def test_discards_need_a_reason_and_refuse_issued_units(blood, issued, make_units):
    unit = make_units(abo="A", rhd="pos", n=1)[0]
    with pytest.raises(ServiceError):
        si.discard(blood.officer, unit.pk, reason="other")
    d = si.discard(blood.officer, unit.pk, reason="haemolysed")
    assert d.reason == "haemolysed"
    with pytest.raises(ServiceError):
        si.discard(blood.officer, issued.items.first().component_id, reason="broken_bag")
