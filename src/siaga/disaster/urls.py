"""Disaster response pages (/bencana/...)."""

from django.urls import path

from . import views

app_name = "disaster"

urlpatterns = [
    path("", views.warnings_page, name="warnings"),
    path("peringatan/baru/", views.alert_new_page, name="alert_new"),
    path("peringatan/<int:warning_id>/", views.warning_page, name="warning"),
    path("peringatan/<int:warning_id>/tindakan/", views.alert_action, name="alert_action"),
    path("antrean-galat/", views.dead_letters_page, name="dead_letters"),
    path("kejadian/", views.events_page, name="events"),
    path("kejadian/<int:event_id>/", views.event_page, name="event"),
    path("cap/rss.xml", views.public_rss, name="cap_rss"),
    path("cap/<int:alert_id>.xml", views.public_alert_xml, name="cap_alert"),
]
