"""Language switch: English on request, remembered for the user's next login."""

from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD


def test_switching_to_english_translates_the_page(client, db):
    r = client.post(reverse("web:set_language"), {"language": "en", "next": "/login/"})
    assert r.status_code == 302 and r.url == "/login/"
    html = client.get("/login/").content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html and "Masuk" not in html


def test_djangos_own_set_language_still_works(client, db):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert 'lang="en"' in client.get("/login/").content.decode()


def test_switching_while_logged_in_is_stored_on_the_user(orgs, make_user, login):
    user = make_user("call_taker", orgs["mine"])
    c = login(user)
    c.post(reverse("web:set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert 'lang="en"' in c.get("/").content.decode()
    from siaga.core.models import AuditLog

    rec = AuditLog.objects.get(model="core.user", object_id=str(user.pk))
    assert rec.changes == {"preferred_language": ["id", "en"]} and rec.actor == user


def test_a_choice_made_on_the_login_page_wins_at_login(orgs, make_user):
    user = make_user("call_taker", orgs["mine"])  # preferred_language defaults to "id"
    c = Client()
    c.post(reverse("web:set_language"), {"language": "en", "next": "/login/"})
    r = c.post("/login/", {"username": user.username, "password": PASSWORD})
    assert r.cookies["django_language"].value == "en"
    user.refresh_from_db()
    assert user.preferred_language == "en"


def test_an_unknown_language_changes_nothing(orgs, make_user, login):
    user = make_user("call_taker", orgs["mine"])
    c = login(user)
    c.post(reverse("web:set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "id"
    assert 'lang="id"' in c.get("/").content.decode()
