"""Shared builders for the request/issue/transfer tests (imported by them; holds no tests of its own)."""

from __future__ import annotations

import pytest

from siaga.blood import services_issue as si


def request_for(blood, *, code="PRC", abo="O", rhd="pos", quantity=2, urgency="cito", patient_abo=None,
                patient_rhd=None, **kw):
    return si.create_request(
        blood.hospital_officer, urgency=urgency, patient_name="Budi Santoso", patient_mrn="RM-001",
        patient_abo=abo if patient_abo is None else patient_abo, patient_rhd=rhd if patient_rhd is None else patient_rhd,
        lines=[{"component_type": code, "abo": abo, "rhd": rhd, "quantity": quantity}], **kw)


HANDOVER = dict(recipient_kind="courier", recipient_name="Pak Kurir", signed_by="Pak Kurir",
                cool_box_temperature_c="4.5")


@pytest.fixture
def make_request(blood):
    def make(**kw):
        return request_for(blood, **kw)

    return make
