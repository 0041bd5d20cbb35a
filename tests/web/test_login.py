"""Login and logout through the real forms, in Indonesian by default."""

from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD


def test_login_page_is_indonesian_by_default(client, db, markup):
    r = client.get("/login/")
    assert r.status_code == 200
    html = r.content.decode()
    assert markup(html).html_lang == "id"
    assert "Masuk" in html
    assert "Kata sandi" in html


def test_it_logs_in_and_lands_on_home(client, orgs, make_user):
    user = make_user("call_taker", orgs["mine"], scope_code="35.76")
    r = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.status_code == 302 and r.url == reverse("web:home")
    home = client.get("/")
    assert home.status_code == 200
    assert "PMI Kota Mojokerto" in home.content.decode()


def test_it_refuses_a_wrong_password(client, orgs, make_user):
    user = make_user("call_taker", orgs["mine"])
    r = client.post("/login/", {"username": user.username, "password": "salah-sekali-123"})
    assert r.status_code == 200
    assert "_auth_user_id" not in client.session
    assert 'role="alert"' in r.content.decode()


def test_it_follows_a_safe_next_only(client, orgs, make_user):
    user = make_user("call_taker", orgs["mine"])
    r = client.post("/login/?next=/map/", {"username": user.username, "password": PASSWORD, "next": "/map/"})
    assert r.url == "/map/"
    client.post(reverse("web:logout"))
    r = client.post("/login/", {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"})
    assert r.url == reverse("web:home")


def test_pages_send_anonymous_users_to_login(client, db):
    for url in ["/", "/map/", "/organizations/", "/organizations/1/", "/regions/", "/audit/"]:
        r = client.get(url)
        assert r.status_code == 302, url
        assert r.url.startswith("/login/?next="), url


def test_logout_needs_post_and_ends_the_session(orgs, make_user, login):
    c = login(make_user("call_taker", orgs["mine"]))
    assert c.get(reverse("web:logout")).status_code == 405
    r = c.post(reverse("web:logout"))
    assert r.status_code == 302 and r.url == reverse("web:login")
    assert c.get("/").status_code == 302


def test_login_applies_the_users_preferred_language(orgs, make_user):
    user = make_user("call_taker", orgs["mine"], preferred_language="en")
    c = Client()
    r = c.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.cookies["django_language"].value == "en"
    html = c.get("/").content.decode()
    assert 'lang="en"' in html and "Log out" in html
