"""Fleet, roster week and roster-warning pages: what they show, the forms behind them, who may use them."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from siaga.dispatch.models import Shift

pytestmark = pytest.mark.django_db

WIB = dt.timezone(dt.timedelta(hours=7))


def this_monday() -> dt.date:
    day = timezone.now().astimezone(WIB).date()
    return day - dt.timedelta(days=day.weekday())


def html(response) -> str:
    return response.content.decode()


def test_fleet_lists_units_with_status_and_crew_now(fleet):
    r = fleet.client().get(reverse("dispatch:fleet"))
    assert r.status_code == 200
    body = html(r)
    assert re.search(r'data-unit="%d" data-crewed="yes"' % fleet.amb1.pk, body)
    assert re.search(r'data-unit="%d" data-crewed="no"' % fleet.amb2.pk, body)
    assert "Budi Santoso" in body and "Siti Aminah" in body
    assert "AMB-K1" not in body  # next door's unit
    assert r["Cache-Control"].count("no-store") == 1


def test_fleet_needs_unit_view(fleet, make_user):
    leader = make_user("leader", fleet.pmi, scope_code="35.76")
    from tests.conftest import client_for

    assert client_for(leader).get(reverse("dispatch:fleet")).status_code == 403


def test_roster_week_shows_blocks_and_marks_uncovered_slots(fleet):
    now = timezone.now()
    uncovered = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver",
                                     starts_at=now, ends_at=now + dt.timedelta(hours=2))
    r = fleet.client("pmi_dispatcher").get(reverse("dispatch:roster"))
    assert r.status_code == 200
    body = html(r)
    assert f'data-shift="{uncovered.pk}" data-covered="no"' in body
    assert "roster-block--uncovered" in body
    covered = Shift.objects.get(unit=fleet.amb1, role="driver")
    assert f'data-shift="{covered.pk}" data-covered="yes"' in body
    assert "data-gap" in body  # AMB-02 lacks a crew for most of the week
    assert 'src="/static/dispatch/roster.js"' in body and "<script>" not in body
    assert "onclick" not in body and "style=" not in body


def test_roster_for_one_unit_and_another_week(fleet):
    monday = this_monday() + dt.timedelta(days=14)
    start = dt.datetime.combine(monday, dt.time(7), tzinfo=WIB)
    later = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="nurse", member=fleet.nurse,
                                 starts_at=start, ends_at=start + dt.timedelta(hours=8))
    c = fleet.client("pmi_dispatcher")
    body = html(c.get(reverse("dispatch:roster"), {"week": (monday + dt.timedelta(days=3)).isoformat(),
                                                   "unit": fleet.amb2.pk}))
    assert f'data-shift="{later.pk}"' in body and "07:00–15:00" in body
    assert 'data-row="u%d"' % fleet.amb2.pk in body and 'data-row="u%d"' % fleet.amb1.pk not in body


def test_a_manager_adds_fills_and_deletes_a_shift_through_the_forms(fleet):
    c = fleet.client("pmi_dispatcher")
    monday = this_monday() + dt.timedelta(days=7)
    r = c.post(reverse("dispatch:roster_shift_create"), {
        "place": f"u{fleet.amb2.pk}", "role": "driver", "day": monday.isoformat(), "start": "22:00", "end": "06:00",
        "member": "", "week": monday.isoformat()})
    assert r.status_code == 302 and f"week={monday.isoformat()}" in r["Location"]
    shift = Shift.objects.get(unit=fleet.amb2)
    assert shift.starts_at == dt.datetime.combine(monday, dt.time(22), tzinfo=WIB)
    assert shift.ends_at == dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(6), tzinfo=WIB)
    assert shift.member is None
    # the nurse cannot drive: refused with a message, nothing changed
    r = c.post(reverse("dispatch:roster_shift_assign", args=[shift.pk]), {"member": fleet.nurse.pk}, follow=True)
    assert "tidak memiliki kualifikasi" in html(r)  # shown in Indonesian, the default language
    assert Shift.objects.get(pk=shift.pk).member is None
    c.post(reverse("dispatch:roster_shift_assign", args=[shift.pk]), {"member": fleet.driver.pk})
    assert Shift.objects.get(pk=shift.pk).member == fleet.driver
    r = c.post(reverse("dispatch:roster_copy_week"), {"week": monday.isoformat(), "weeks": "2"}, follow=True)
    assert Shift.objects.filter(unit=fleet.amb2).count() == 3
    assert "2 jadwal jaga disalin" in html(r)
    c.post(reverse("dispatch:roster_shift_delete", args=[shift.pk]))
    assert not Shift.objects.filter(pk=shift.pk).exists()


def test_forms_refuse_people_who_may_not_manage(fleet):
    shift = Shift.objects.get(unit=fleet.amb1, role="driver")
    # a crew member sees the roster but cannot change it
    crew = fleet.client("crew")
    assert crew.get(reverse("dispatch:roster")).status_code == 200
    assert crew.post(reverse("dispatch:roster_shift_delete", args=[shift.pk])).status_code == 403
    # another organisation's shift does not exist for me
    other = fleet.client("other_dispatcher")
    assert other.post(reverse("dispatch:roster_shift_delete", args=[shift.pk])).status_code == 404
    assert other.post(reverse("dispatch:roster_shift_assign", args=[shift.pk]), {"member": ""}).status_code == 404
    # PSC 119 dispatches PMI's units and reads their roster, but PMI keeps it
    r = fleet.client().post(reverse("dispatch:roster_shift_assign", args=[shift.pk]), {"member": ""})
    assert r.status_code == 403
    assert Shift.objects.get(pk=shift.pk).member == fleet.driver
    assert fleet.client().get(reverse("dispatch:roster")).status_code == 200


def test_warnings_page_lists_what_to_fix(fleet):
    now = timezone.now()
    gap = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="nurse", starts_at=now,
                               ends_at=now + dt.timedelta(hours=2))
    body = html(fleet.client("pmi_dispatcher").get(reverse("dispatch:roster_warnings")))
    assert f'data-kind="uncovered" data-shift="{gap.pk}"' in body
    assert f'data-kind="undercrewed" data-unit="{fleet.amb2.pk}"' in body
    assert "AMB-02 tidak dapat ditugaskan" in body


def test_warnings_page_says_when_all_is_well(fleet, make_org, make_user):
    org = make_org(kind="pmi_branch", region_code="35.76", name="PMI tanpa armada")
    from tests.conftest import client_for

    body = html(client_for(make_user("dispatcher", org, scope_code="35.76")).get(reverse("dispatch:roster_warnings")))
    assert "data-no-warnings" in body


def test_page_queries_do_not_grow_with_the_roster(fleet):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = fleet.client("pmi_dispatcher")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    urls = [reverse("dispatch:roster"), reverse("dispatch:fleet"), reverse("dispatch:roster_warnings")]
    before = [count(u) for u in urls]
    now = timezone.now()
    for i in range(12):
        start = now + dt.timedelta(hours=2 * i)
        Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="nurse", member=fleet.nurse,
                             starts_at=start, ends_at=start + dt.timedelta(hours=1))
        Shift.objects.create(organization=fleet.pmi, station=fleet.station, role="doctor",
                             starts_at=start, ends_at=start + dt.timedelta(hours=1))
    assert [count(u) for u in urls] == before
