"""Referral pages at /callcenter/rujukan/: the agency's own referrals and the call center's board."""

from django.urls import path

from . import views_referrals as views

urlpatterns = [
    path("", views.agency_page, name="referrals_agency"),
    path("daftar/", views.agency_fragment, name="referrals_agency_fragment"),
    path("<int:referral_id>/<slug:action>/", views.agency_action, name="referrals_action"),
    path("papan/", views.board_page, name="referrals_board"),
    path("papan/fragmen/", views.board_fragment, name="referrals_board_fragment"),
]
