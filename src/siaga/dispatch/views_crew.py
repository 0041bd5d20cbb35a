"""The crews' phone page at /dispatch/kru/: an installable web app (manifest + service worker) that rings on a
dispatch, takes the acknowledgement and the status steps (queued on the phone while offline) and shows the route.

The page shell carries no dispatch data: the script reads /api/dispatch/me, so the same shell can be cached by
the service worker and opened without signal. The manifest and the service worker are public (they hold no
data): a browser fetches them on its own, and a worker script behind a login redirect could never update.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from siaga.core.pages import page

from .models import DispatchStatus, UnitStatus

# Files the page needs to open with no signal; the service worker stores them when it installs.
SHELL_STATIC = [
    "dispatch/crew.css",
    "dispatch/crew.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
    "dispatch/icons/crew.svg",
    "dispatch/icons/crew-192.png",
    "dispatch/icons/crew-512.png",
]
WORKER_SOURCE = "dispatch/crew-sw.js"
THEME_COLOR = "#a4161a"

# What each button says, in the order a crew goes through them. "available" is the unit's own step
# (POST /units/{id}/available), the rest are the dispatch's.
STEP_LABELS = {
    DispatchStatus.ACKNOWLEDGED: lambda: _("Acknowledge"),
    DispatchStatus.EN_ROUTE: lambda: _("Depart (en route)"),
    DispatchStatus.ON_SCENE: lambda: _("Arrived on scene"),
    DispatchStatus.TRANSPORTING: lambda: _("Transporting patient"),
    DispatchStatus.AT_HOSPITAL: lambda: _("Arrived at hospital"),
    DispatchStatus.HANDOVER_DONE: lambda: _("Hand-over done"),
    DispatchStatus.RETURNING: lambda: _("Returning"),
    DispatchStatus.COMPLETED: lambda: _("Finished"),
    "available": lambda: _("Available at station"),
}


def _api(name: str, **kwargs) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def _optional_api(name: str, fallback: str) -> str:
    """An endpoint another part of the app provides; the page degrades gracefully while it does not exist."""
    try:
        return reverse(f"api:{name}")
    except NoReverseMatch:
        return fallback


def _texts() -> dict:
    return {
        "steps": {k: f() for k, f in STEP_LABELS.items()},
        "statuses": {s.value: str(s.label) for s in DispatchStatus},
        "unit_statuses": {s.value: str(s.label) for s in UnitStatus},
        "no_dispatch": _("No dispatch. Waiting for the next call."),
        "no_unit": _("You are not rostered on a unit right now."),
        "offline_waiting": _("Offline: %(n)s change(s) waiting to be sent."),
        "sending": _("Sending %(n)s change(s)…"),
        "offline": _("Offline. Changes are kept on this phone and sent when the signal returns."),
        "offline_short": _("Offline"),
        "ended": _("Dispatch %(n)s: %(status)s."),
        "live": _("Live"),
        "reconnecting": _("Reconnecting…"),
        "dropped": _("A change was refused and removed: %(message)s"),
        "login_again": _("Your session has ended. Log in again to send the waiting changes."),
        "priority": _("Priority %(p)s"),
        "eta": _("%(km)s km · about %(min)s min"),
        "eta_estimate": _("(straight-line estimate)"),
        "handover_at": _("Hand-over done at %(time)s"),
        "route_to_scene": _("Route to the scene"),
        "route_to_hospital": _("Route to the hospital"),
        "route_none": _("No route yet."),
        "route_unavailable": _("The route could not be loaded; the last known route is shown."),
        "unnamed_road": _("unnamed road"),
        "scene": _("Scene"),
        "hospital": _("Hospital"),
        "me": _("My position"),
        "sound_on": _("Alarm sound is on."),
        "share_on": _("Sharing my position"),
        "share_off": _("Share my position"),
        "share_unavailable": _("Position sharing is not available."),
        "no_gps": _("This phone gives no position."),
        "destination": _("Destination hospital"),
        "destination_none": _("Choose later"),
        "saved_offline": _("Saved on this phone; it will be sent when the signal returns."),
    }


@page("unit.view")
def crew_page(request, actor):
    config = {
        "me_url": _api("me"),
        "dispatch_url": reverse("api:get_dispatch", kwargs={"dispatch_id": 0}).replace("/0", "/{id}"),
        "status_url": reverse("api:dispatch_status", kwargs={"dispatch_id": 0}).replace("/0/", "/{id}/"),
        "available_url": reverse("api:unit_available", kwargs={"unit_id": 0}).replace("/0/", "/{id}/"),
        "stations_url": _api("list_stations"),
        "route_url": _api("fastest_route"),
        "hospitals_url": _optional_api("hospitals_suggest", _api("me").replace("/me", "/hospitals/suggest")),
        "positions_url": _optional_api("post_position", _api("me").replace("/me", "/positions")),
        "stream_url": reverse("stream") + "?topics=dispatches",
        "worker_url": reverse("dispatch:crew_sw"),
        "scope": reverse("dispatch:crew"),
        "icon_url": static("dispatch/icons/crew-192.png"),
        "poll_seconds": 15,
        "user": request.user.get_username(),
        "texts": _texts(),
    }
    steps = [(k, f()) for k, f in STEP_LABELS.items() if k != DispatchStatus.ACKNOWLEDGED]
    return render(request, "dispatch/crew.html", {"crew_config": config, "theme_color": THEME_COLOR,
                                                  "steps": steps})


@require_GET
def manifest(request):
    """The web app manifest: what the phone shows when the page is installed on its home screen."""
    scope = reverse("dispatch:crew")
    data = {
        "name": "Siaga Kru",
        "short_name": "Siaga Kru",
        "description": _("Dispatch alerts, status and route for ambulance crews."),
        "lang": "id",
        "start_url": scope,
        "scope": scope,
        "id": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("dispatch/icons/crew-192.png"), "sizes": "192x192", "type": "image/png",
             "purpose": "any maskable"},
            {"src": static("dispatch/icons/crew-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "any maskable"},
            {"src": static("dispatch/icons/crew.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


def _read_static(name: str) -> bytes:
    path = finders.find(name)
    return Path(path).read_bytes() if path else b""


@lru_cache(maxsize=1)
def _worker_body() -> tuple[bytes, str]:
    source = _read_static(WORKER_SOURCE)
    digest = hashlib.sha256(source)
    for name in SHELL_STATIC:
        digest.update(_read_static(name))
    return source, digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker, served under /dispatch/kru/ so its scope covers the page; the body is a static file,
    preceded by the list of files to keep offline and a version that changes whenever one of them does."""
    # In development the files change under a running server: hash them on every request there.
    source, version = _worker_body.__wrapped__() if settings.DEBUG else _worker_body()
    scope = reverse("dispatch:crew")
    config = {"version": version, "shell": scope,
              "assets": [scope, reverse("dispatch:crew_manifest")] + [static(n) for n in SHELL_STATIC]}
    body = b"self.SIAGA_KRU = " + json.dumps(config).encode() + b";\n" + source
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    # The browser must check for a new worker on every visit; the worker itself keeps the files.
    response["Cache-Control"] = "no-cache"
    return response
