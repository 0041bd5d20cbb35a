"""Blood service pages, mounted at /darah/: staff pages, the public stock board and the donors' self-service page."""

import importlib.util

from django.urls import path

from . import public, views

app_name = "blood"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("stok-fragmen/", views.dashboard_fragment, name="dashboard_fragment"),
    path("donor/", views.donors, name="donors"),
    path("donor/<int:donor_id>/", views.donor_detail, name="donor"),
    path("donasi/<int:donation_id>/", views.donation_detail, name="donation"),
    path("donasi/<int:donation_id>/label/", views.donation_label, name="label"),
    path("skrining/", views.screening_queue, name="screening"),
    path("sesi/", views.sessions, name="sessions"),
    # Public: no login.
    path("stok/", views.public_board, name="public_board"),
    path("stok/data.json", views.public_board_data, name="public_board_data"),
    path("stok/live", public.stream, name="public_board_live"),
    path("donor-saya/", views.self_service_login, name="self_service_login"),
    path("donor-saya/<str:token>/", views.self_service, name="self_service"),
]

# Requests, issue and transfer pages (a second module, owned separately) share the /darah/ prefix.
if importlib.util.find_spec("siaga.blood.urls_issue") is not None:
    from .urls_issue import urlpatterns as _issue_urlpatterns

    urlpatterns += _issue_urlpatterns
