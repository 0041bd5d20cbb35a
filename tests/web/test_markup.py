"""Every page is phone-ready and safe under a strict Content-Security-Policy: no inline code at all."""

import pytest
from django.urls import reverse

from .conftest import parse_markup


def _pages(orgs):
    return [
        "/",
        "/map/",
        "/organizations/",
        reverse("web:organization", args=[orgs["mine"].pk]),
        "/regions/",
        "/audit/",
        reverse("web:organization", args=[orgs["theirs"].pk]),  # the 404 page
        "/no-such-page/",
    ]


def _check(html, url):
    m = parse_markup(html)
    assert m.viewport and "width=device-width" in m.viewport, url
    assert m.html_lang in ("id", "en"), url
    assert m.inline_scripts == [], (url, m.inline_scripts)
    assert m.handlers == [], (url, m.handlers)
    assert m.style_attrs == [], (url, m.style_attrs)


def test_logged_in_pages(orgs, make_user, login):
    c = login(make_user("administrator", orgs["mine"], scope_code="35.76", is_staff=True))
    for url in _pages(orgs):
        r = c.get(url)
        assert r.status_code in (200, 404), (url, r.status_code)
        _check(r.content.decode(), url)


@pytest.mark.parametrize("url", ["/login/", "/no-such-page/"])
def test_anonymous_pages(client, db, url):
    _check(client.get(url).content.decode(), url)


def test_the_no_membership_page(db, make_user, login):
    _check(login(make_user()).get("/").content.decode(), "/")


def test_the_checker_catches_inline_code():
    m = parse_markup('<html lang="id"><script>alert(1)</script><a onclick="x()" style="color:red">x</a>'
                     '<script type="application/json">{}</script><script src="/s.js"></script></html>')
    assert len(m.inline_scripts) == 1 and m.handlers and m.style_attrs
