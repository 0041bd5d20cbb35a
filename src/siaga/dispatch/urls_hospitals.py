"""Dispatch pages: hospitals' capacity board and the capacity page for hospital staff."""

from django.urls import path

from . import views_hospitals

urlpatterns: list = [
    path("", views_hospitals.board_page, name="hospitals"),
    path("kapasitas/", views_hospitals.capacity_page, name="hospital_capacity"),
]
