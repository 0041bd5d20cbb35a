"""Pages of road routing: coverage planning for planners, closures for operators."""

from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("coverage/", views.coverage_page, name="coverage"),
    path("closures/", views.closures_page, name="closures"),
    path("closures/<int:closure_id>/lift", views.lift_closure, name="lift_closure"),
]
