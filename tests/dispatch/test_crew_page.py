"""The crews' phone page: who may open it, its test hooks, and the manifest and service worker that make it an
installable app that opens offline."""

from __future__ import annotations

import json

from django.urls import reverse

from tests.web.conftest import parse_markup

HOOKS = ["crew-alert", "crew-ack", "crew-status", "crew-offline", "crew-start"]
STEPS = ["en_route", "on_scene", "transporting", "at_hospital", "handover_done", "returning", "completed",
         "available"]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_crew_opens_the_page(fleet):
    r = fleet.client("crew").get(reverse("dispatch:crew"))
    assert r.status_code == 200
    html = r.content.decode()
    for hook in HOOKS:
        assert f'data-testid="{hook}"' in html, hook
    for step in STEPS:
        assert f'data-testid="crew-step-{step}"' in html, step
    assert 'rel="manifest"' in html and reverse("dispatch:crew_manifest") in html
    # One user's page: no shared cache may keep it (the service worker keeps its own copy).
    assert "no-store" in r["Cache-Control"]


def test_the_page_is_safe_under_a_strict_csp_and_phone_ready(fleet):
    html = fleet.client("crew").get(reverse("dispatch:crew")).content.decode()
    m = parse_markup(html)
    assert m.viewport and "width=device-width" in m.viewport
    assert m.html_lang in ("id", "en")
    assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == []


def test_the_page_config_points_at_the_crew_api(fleet):
    html = fleet.client("crew").get(reverse("dispatch:crew")).content.decode()
    start = html.index('<script id="crew-config" type="application/json">') + len(
        '<script id="crew-config" type="application/json">')
    cfg = json.loads(html[start:html.index("</script>", start)])
    assert cfg["me_url"] == "/api/dispatch/me"
    assert cfg["status_url"] == "/api/dispatch/dispatches/{id}/status"
    assert cfg["available_url"] == "/api/dispatch/units/{id}/available"
    assert cfg["route_url"] == "/api/routing/route"
    assert cfg["stream_url"] == "/api/stream?topics=dispatches"
    assert cfg["worker_url"] == "/dispatch/kru/sw.js" and cfg["scope"] == "/dispatch/kru/"
    assert cfg["user"] == "kru-amb01"


def test_a_dispatcher_may_open_it_too(fleet):
    # unit.view: a dispatcher can see what the crew sees (training, radio relay).
    assert fleet.client("dispatcher").get(reverse("dispatch:crew")).status_code == 200


def test_a_call_taker_is_refused(fleet):
    r = fleet.client("call_taker").get(reverse("dispatch:crew"))
    assert r.status_code == 403
    assert b"crew-ack" not in r.content


def test_an_anonymous_visitor_is_sent_to_log_in(client, db):
    r = client.get(reverse("dispatch:crew"))
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_the_manifest_makes_it_installable(client, db):
    r = client.get(reverse("dispatch:crew_manifest"))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/manifest+json")
    m = json.loads(r.content)
    assert m["name"] == "Siaga Kru" and m["short_name"] == "Siaga Kru"
    assert m["start_url"] == "/dispatch/kru/" and m["scope"] == "/dispatch/kru/"
    assert m["display"] == "standalone" and m["lang"] == "id"
    sizes = {i["sizes"]: i for i in m["icons"]}
    # Chrome installs an app with PNG icons of 192 and 512 px.
    for size in ("192x192", "512x512"):
        icon = sizes[size]
        assert icon["type"] == "image/png"
        body = _body(client.get(icon["src"]))
        assert body[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        assert f"{w}x{h}" == size


def test_the_service_worker_covers_the_page(client, db):
    r = client.get(reverse("dispatch:crew_sw"))
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/javascript")
    assert r["Service-Worker-Allowed"] == "/dispatch/kru/"
    assert "no-cache" in r["Cache-Control"]
    body = r.content.decode()
    first_line, _, rest = body.partition("\n")
    assert first_line.startswith("self.SIAGA_KRU = ")
    cfg = json.loads(first_line[len("self.SIAGA_KRU = "):].rstrip(";"))
    # The shell, its script and styles, and Leaflet are kept for opening offline.
    assert cfg["shell"] == "/dispatch/kru/"
    for url in ("/dispatch/kru/", "/static/dispatch/crew.js", "/static/dispatch/crew.css",
                "/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css"):
        assert url in cfg["assets"], url
    assert len(cfg["version"]) == 12
    assert 'addEventListener("fetch"' in rest


def test_every_file_the_worker_keeps_exists(client, db):
    cfg = json.loads(client.get(reverse("dispatch:crew_sw")).content.decode().partition("\n")[0]
                     [len("self.SIAGA_KRU = "):].rstrip(";"))
    for url in cfg["assets"]:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
