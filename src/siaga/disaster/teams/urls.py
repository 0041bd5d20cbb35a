"""Team activation pages (/bencana/tim/...)."""

from django.urls import path

from . import views

app_name = "disaster_teams"

urlpatterns = [
    path("", views.index, name="index"),
    path("saya/", views.mine, name="mine"),
    path("kejadian/<int:event_id>/", views.event_page, name="event"),
    path("regu/<int:team_id>/", views.team_page, name="team"),
]
