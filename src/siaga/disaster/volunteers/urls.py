"""Volunteers pages under /bencana/relawan/."""

from django.urls import path

from . import views

app_name = "disaster_volunteers"
urlpatterns = [
    path("", views.list_page, name="list"),
    path("saya/", views.me_page, name="me"),
    path("daftar/", views.register_page, name="register"),
    path("duplikat/", views.candidates_page, name="candidates"),
    path("duplikat/<int:candidate_id>/", views.candidate_decide, name="candidate_decide"),
    path("<int:volunteer_id>/", views.detail_page, name="detail"),
]
