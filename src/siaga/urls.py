"""URL map: pages, the API, the live stream and the admin."""

from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (kept simple: language lives in the session)
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from siaga.api import api
from siaga.core.stream import stream

urlpatterns = [
    # One way in: the admin's own login page would skip the lockout and the second factor.
    path("admin/login/", RedirectView.as_view(url="/login/", query_string=True), name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/stream", stream, name="stream"),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("callcenter/", include("siaga.callcenter.urls")),
    path("lapor/", include("siaga.callcenter.urls_public")),
    path("routing/", include("siaga.routing.urls")),
    path("dispatch/", include("siaga.dispatch.urls")),
    path("darah/", include("siaga.blood.urls")),
    path("bencana/relawan/", include("siaga.disaster.volunteers.urls")),
    path("bencana/tim/", include("siaga.disaster.teams.urls")),
    path("bencana/logistik/", include("siaga.disaster.logistics.urls")),
    path("bencana/bantuan-antarprovinsi/", include("siaga.disaster.mutualaid.urls")),
    path("bencana/laporan/", include("siaga.disaster.reports.urls")),
    path("bencana/kesiapsiagaan/", include("siaga.disaster.readiness.urls")),
    path("bencana/", include("siaga.disaster.urls")),
    path("posyandu/rencana/", include("siaga.health.plans.urls")),
    path("posyandu/layanan/", include("siaga.health.urls_lifecycle")),
    path("posyandu/pws/", include("siaga.health.urls_pws")),
    path("dukcapil/", include("siaga.health.urls_vital")),
    path("posyandu/", include("siaga.health.urls")),
    path("laporan/tahunan/", include("siaga.annual.urls")),
    path("", include("siaga.web.urls")),
]
