"""Dispatch pages: the dispatcher's console, the crews' phone app, hospitals' capacity board, fleet and rosters."""

from django.urls import include, path

app_name = "dispatch"
urlpatterns = [
    path("", include("siaga.dispatch.urls_console")),
    path("kru/", include("siaga.dispatch.urls_crew")),
    path("rumah-sakit/", include("siaga.dispatch.urls_hospitals")),
    path("armada/", include("siaga.dispatch.urls_rosters")),
]
