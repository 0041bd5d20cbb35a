"""Mutual aid pages (/bencana/bantuan-antarprovinsi/)."""

from django.urls import path

from . import views

app_name = "disaster_mutualaid"

urlpatterns = [
    path("", views.list_page, name="list"),
    path("baru/", views.new_page, name="new"),
    path("<int:request_id>/", views.detail_page, name="detail"),
    path("<int:request_id>/langkah/", views.step_page, name="step"),
    path("<int:request_id>/surat/", views.letter_upload_page, name="letter_upload"),
    path("<int:request_id>/surat/<int:letter_id>/", views.letter_download_page, name="letter"),
]
