"""Login throttling, lockout and the second factor: counted in the database, explained in Indonesian."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
import time_machine
from django.test import Client

from siaga.core import login_guard
from siaga.core.models import LoginAttempt, TotpDevice

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)
PASSWORD = "kata-sandi-yang-panjang-7"


@pytest.fixture
def officer(db, make_org, make_user):
    user = make_user("dispatcher", make_org())
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client, username, password, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def _text(r) -> str:
    return re.sub(r"\s+", " ", r.content.decode())


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(officer):
    c = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            assert _login(c, officer.username, "salah").status_code == 200
        r = _login(c, officer.username, PASSWORD)
        assert r.status_code == 200 and "_auth_user_id" not in c.session
        assert "Terlalu banyak percobaan gagal" in _text(r) and "15 menit" in _text(r)
        # The refusal is recorded, and refusals do not extend the lock.
        assert LoginAttempt.objects.filter(reason="locked").count() == 1
        clock.shift(dt.timedelta(minutes=14))
        assert "Terlalu banyak" in _text(_login(c, officer.username, PASSWORD))
        clock.shift(dt.timedelta(minutes=2))
        assert _login(c, officer.username, PASSWORD).status_code == 302
        assert c.session["_auth_user_id"] == str(officer.pk)


def test_a_success_clears_the_count_and_the_username_is_case_blind(officer):
    c = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            _login(c, officer.username.upper(), "salah")
        assert _login(c, officer.username, PASSWORD).status_code == 302
        c.logout()
        clock.shift(dt.timedelta(seconds=5))
        for _ in range(4):
            _login(c, officer.username, "salah")
        assert login_guard.locked_until(officer.username, None) is None
        _login(c, officer.username, "salah")
        assert login_guard.locked_until(officer.username.upper(), None) is not None


def test_failures_older_than_the_window_do_not_count(officer):
    c = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            _login(c, officer.username, "salah")
        clock.shift(dt.timedelta(minutes=16))
        _login(c, officer.username, "salah")
        assert login_guard.locked_until(officer.username, None) is None


def test_one_address_guessing_many_usernames_is_locked(officer, settings):
    settings.SIAGA_LOGIN_MAX_FAILURES_PER_IP = 6
    c = Client()
    with time_machine.travel(T0, tick=False):
        for n in range(6):
            _login(c, f"tebak{n}", "salah", ip="10.9.9.9")
        assert "Terlalu banyak" in _text(_login(c, officer.username, PASSWORD, ip="10.9.9.9"))
        # The same officer from another address is not punished for the guesser.
        assert _login(c, officer.username, PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_admin_login_is_the_same_door(client):
    r = client.get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"] == "/login/?next=/admin/"


def _enable_second_factor(client, user) -> pyotp.TOTP:
    client.force_login(user)
    page = client.get("/akun/autentikator/").content.decode()
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    assert "<svg" in page  # the QR code to scan
    totp = pyotp.TOTP(secret)
    client.post("/akun/autentikator/", {"action": "confirm", "code": totp.now()})
    assert TotpDevice.objects.get(user=user).confirmed_at is not None
    client.logout()
    return totp


def test_with_an_authenticator_the_password_alone_does_not_log_in(officer):
    c = Client()
    with time_machine.travel(T0, tick=False) as clock:
        totp = _enable_second_factor(c, officer)
        clock.shift(dt.timedelta(seconds=60))
        r = _login(c, officer.username, PASSWORD)
        assert r["Location"] == "/login/kode/" and "_auth_user_id" not in c.session
        r = c.post("/login/kode/", {"code": "000000" if totp.now() != "000000" else "111111"})
        assert r.status_code == 422 and "_auth_user_id" not in c.session
        r = c.post("/login/kode/", {"code": totp.now()})
        assert r.status_code == 302 and c.session["_auth_user_id"] == str(officer.pk)
        # The same code cannot be used twice, even from another browser.
        other = Client()
        _login(other, officer.username, PASSWORD)
        assert other.post("/login/kode/", {"code": totp.now()}).status_code == 422


def test_wrong_codes_count_towards_the_lockout(officer):
    c = Client()
    with time_machine.travel(T0, tick=False):
        totp = _enable_second_factor(c, officer)
        _login(c, officer.username, PASSWORD)
        wrong = "123456" if totp.now() != "123456" else "654321"
        for _ in range(5):
            c.post("/login/kode/", {"code": wrong})
        r = c.post("/login/kode/", {"code": totp.now()}, follow=True)
        assert "_auth_user_id" not in c.session and "Terlalu banyak" in _text(r)


def test_turning_the_authenticator_off_needs_a_current_code(officer):
    c = Client()
    with time_machine.travel(T0, tick=False) as clock:
        totp = _enable_second_factor(c, officer)
        c.force_login(officer)
        clock.shift(dt.timedelta(seconds=60))
        c.post("/akun/autentikator/", {"action": "remove", "code": "000000" if totp.now() != "000000" else "1"})
        assert login_guard.has_second_factor(officer)
        c.post("/akun/autentikator/", {"action": "remove", "code": totp.now()})
        assert not login_guard.has_second_factor(officer)
