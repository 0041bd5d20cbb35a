"""The menu shows what the permission module allows, and nothing else."""

import pytest
from django.urls import reverse

from siaga.web.navigation import NAVIGATION


def _menu_urls(client):
    html = client.get("/").content.decode()
    nav = html.split('class="nav"', 1)[1].split("</ul>", 1)[0]
    return nav


def test_every_menu_entry_resolves():
    for entries in NAVIGATION.values():
        for entry in entries:
            assert reverse(entry.url_name)


def test_a_call_taker_sees_the_common_pages_but_not_the_audit_trail(orgs, make_user, login):
    nav = _menu_urls(login(make_user("call_taker", orgs["mine"], scope_code="35.76")))
    for url in ["/", "/map/", "/organizations/", "/regions/"]:
        assert f'href="{url}"' in nav, url
    assert 'href="/audit/"' not in nav
    assert 'href="/admin/"' not in nav


def test_a_leader_sees_the_audit_trail(orgs, make_user, login):
    nav = _menu_urls(login(make_user("leader", orgs["mine"])))
    assert 'href="/audit/"' in nav


def test_admin_is_only_for_staff(orgs, make_user, login):
    nav = _menu_urls(login(make_user("administrator", orgs["mine"], is_staff=True)))
    assert 'href="/admin/"' in nav
    nav = _menu_urls(login(make_user("administrator", orgs["mine"])))
    assert 'href="/admin/"' not in nav


def test_the_current_page_is_marked(orgs, make_user, login):
    c = login(make_user("call_taker", orgs["mine"]))
    html = c.get(reverse("web:organization", args=[orgs["mine"].pk])).content.decode()
    assert 'href="/organizations/" aria-current="page"' in html


def test_a_user_without_membership_gets_a_friendly_page(db, make_user, login):
    c = login(make_user())
    for url in ["/", "/map/", "/organizations/", "/regions/", "/audit/"]:
        r = c.get(url)
        assert r.status_code == 403, url
        assert "Akun Anda belum memiliki keanggotaan aktif" in r.content.decode()
    nav = _menu_urls(c)
    assert 'href="/"' in nav and 'href="/map/"' not in nav


@pytest.mark.parametrize("url", ["/audit/"])
def test_pages_refuse_roles_without_the_permission(orgs, make_user, login, url):
    r = login(make_user("call_taker", orgs["mine"])).get(url)
    assert r.status_code == 403
    assert "Tidak diizinkan" in r.content.decode()
