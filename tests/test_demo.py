"""The demo loads the organisations and one user per role, and a second run changes nothing."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from siaga import demo
from siaga.core.models import AuditLog, Membership, Organization, Role, User
from siaga.geo.models import Region


def _counts():
    from siaga.dispatch.models import Shift, Unit

    return (Organization.objects.count(), User.objects.count(), Membership.objects.count(), AuditLog.objects.count(),
            Unit.objects.count(), Shift.objects.count())


@pytest.mark.django_db
def test_demo_without_data_dir_still_works_and_is_idempotent(regions, tmp_path, capsys):
    demo.run(data_dir=tmp_path / "missing")
    first = _counts()
    assert Organization.objects.filter(code="cc112-kab-mojokerto", kind="cc112").exists()
    assert Organization.objects.filter(code="pmi-banten", region_code="36").exists()
    demo.run(data_dir=tmp_path / "missing")
    assert _counts() == first
    out = capsys.readouterr().out
    assert "operator112" in out and demo.DEMO_PASSWORD in out


@pytest.mark.django_db
def test_demo_refuses_to_run_before_regions_are_imported(tmp_path):
    with pytest.raises(SystemExit):
        demo.run(data_dir=tmp_path)


@pytest.mark.slow
@pytest.mark.django_db
def test_full_demo_has_every_role_17_hospitals_and_kelurahan_shapes():
    data_dir = Path(settings.DATA_DIR)
    if not (data_dir / "regions").exists():
        pytest.skip(f"SIAGA_DATA_DIR {data_dir} is missing: the full demo needs the reference data")
    call_command("import_regions", verbosity=0)
    demo.run(data_dir=data_dir)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    hospitals = Organization.objects.filter(kind="hospital", region_code__regex=r"^35\.(16|76)")
    assert hospitals.count() == 17
    assert all(h.lat is not None and h.location_approximate for h in hospitals)
    assert Region.objects.filter(code__startswith="35.76.", level=4, boundary__isnull=False).count() == 18
    # The demo crew is aboard AMB-01 right now, and AMB-01 can be dispatched by the city's PSC 119.
    from django.utils import timezone

    from siaga.dispatch import crewing
    from siaga.dispatch.models import Unit

    amb1 = Unit.objects.get(call_sign="AMB-01")
    assert amb1.dispatch_center.code == "psc119-kota-mojokerto" and amb1.lat is not None
    assert crewing.is_crewed(amb1, timezone.now())
    assert crewing.units_of_user(User.objects.get(username="kru.ambulans"), timezone.now()) == [amb1.pk]
    first = _counts()
    demo.run(data_dir=data_dir)
    assert _counts() == first
