"""Every response carries the strict Content-Security-Policy; only the admin and the API docs are relaxed."""

from django.conf import settings

from tests.browser_support import STRICT_CSP


def test_the_policy_the_browser_tests_enforce_is_the_one_the_server_sends():
    assert settings.SIAGA_CSP == STRICT_CSP


def test_pages_get_the_strict_policy_and_companion_headers(client):
    r = client.get("/login/")
    csp = r["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r["Referrer-Policy"] == "same-origin"
    assert "geolocation=(self)" in r["Permissions-Policy"]
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_covered_too(client):
    r = client.get("/api/me")
    assert r.status_code == 401 and "default-src 'self'" in r["Content-Security-Policy"]


def test_the_admin_and_the_api_docs_are_relaxed_for_their_inline_code_and_served_locally(client):
    assert "'unsafe-inline'" in client.get("/admin/login/")["Content-Security-Policy"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "'unsafe-inline'" in docs["Content-Security-Policy"]
    body = docs.content.decode()
    assert "cdn." not in body and "/static/ninja/" in body
