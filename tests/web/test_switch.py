"""Organisation switcher: only the user's own active memberships, stored in the session."""

from django.urls import reverse

from siaga.core.middleware import SESSION_MEMBERSHIP_KEY
from siaga.core.models import Membership


def test_it_switches_to_another_own_membership(orgs, make_user, login):
    user = make_user("call_taker", orgs["mine"], scope_code="35.76")
    second = Membership.objects.create(user=user, organization=orgs["child"], role="kader", scope_code="35.76")
    c = login(user)
    r = c.post(reverse("web:switch"), {"membership_id": second.pk, "next": "/organizations/"})
    assert r.status_code == 302 and r.url == "/organizations/"
    assert c.session[SESSION_MEMBERSHIP_KEY] == second.pk
    html = c.get("/").content.decode()
    assert "Puskesmas Prajurit Kulon" in html
    assert 'id="membership-select"' in html


def test_it_refuses_a_membership_of_another_user(orgs, make_user, login):
    me = make_user("call_taker", orgs["mine"])
    stranger = make_user("administrator", orgs["theirs"])
    theirs = stranger.memberships.get()
    c = login(me)
    before = c.session[SESSION_MEMBERSHIP_KEY]
    r = c.post(reverse("web:switch"), {"membership_id": theirs.pk, "next": "/"})
    assert r.status_code == 403
    assert c.session[SESSION_MEMBERSHIP_KEY] == before
    assert "PMI Kabupaten Mojokerto" not in c.get("/").content.decode()


def test_it_refuses_an_inactive_membership(orgs, make_user, login):
    user = make_user("call_taker", orgs["mine"])
    old = Membership.objects.create(user=user, organization=orgs["child"], role="kader", active=False)
    r = login(user).post(reverse("web:switch"), {"membership_id": old.pk})
    assert r.status_code == 403


def test_it_refuses_garbage_and_get(orgs, make_user, login):
    c = login(make_user("call_taker", orgs["mine"]))
    assert c.post(reverse("web:switch"), {"membership_id": "abc"}).status_code == 403
    assert c.get(reverse("web:switch")).status_code == 405


def test_it_ignores_an_unsafe_next(orgs, make_user, login):
    user = make_user("call_taker", orgs["mine"])
    c = login(user)
    r = c.post(reverse("web:switch"), {"membership_id": user.memberships.get().pk, "next": "https://evil.example/"})
    assert r.url == reverse("web:home")
