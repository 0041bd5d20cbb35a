"""Posyandu problems and plans pages (/posyandu/rencana/...)."""

from django.urls import path

from . import views

app_name = "health_plans"
urlpatterns = [
    path("", views.index, name="index"),
    path("posyandu/<int:posyandu_id>/", views.posyandu_page, name="posyandu"),
    path("posyandu/<int:posyandu_id>/simpan/", views.posyandu_post, name="posyandu_post"),
    path("<int:plan_id>/", views.plan_page, name="plan"),
]
