"""The demo posyandu loads through the services: children, six months of weighings, some stunted, some T."""

import pytest

from siaga.core.permissions import system_actor
from siaga.health import demo_data
from siaga.health.models import Measurement

pytestmark = pytest.mark.django_db


def test_the_demo_posyandu_has_realistic_children(regions, make_org):
    puskesmas = make_org(kind="puskesmas", region_code="35.76", code="puskesmas-kranggan")
    make_org(kind="posyandu", region_code="35.76.03.1001", parent=puskesmas, code="posyandu-melati-kranggan",
             name="Posyandu Melati Kranggan")
    p = demo_data.load(system_actor(), "posyandu-melati-kranggan", children=20, months=4)
    assert p.persons.count() == 20
    ms = Measurement.objects.filter(person__posyandu=p)
    assert ms.count() >= 60
    assert ms.filter(category_lhfa__in=("stunted", "severely_stunted")).exists()
    assert ms.filter(growth_status="N").exists() and ms.filter(growth_status="B").count() == 20
    # Loading again changes nothing.
    demo_data.load(system_actor(), "posyandu-melati-kranggan", children=20, months=4)
    assert p.persons.count() == 20
