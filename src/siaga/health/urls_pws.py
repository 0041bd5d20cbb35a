"""PWS dashboard pages (/posyandu/pws/...)."""

from django.urls import path, re_path

from . import views_pws as views

app_name = "health_pws"
# Kemendagri codes: "35.76", "35.76.01", "35.76.01.1006".
CODE = r"(?P<code>\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?)"
urlpatterns = [
    path("", views.index, name="index"),
    re_path(rf"^wilayah/{CODE}/$", views.area_page, name="area"),
    re_path(rf"^wilayah/{CODE}/tindak-lanjut/$", views.area_follow_up, name="area_follow_up"),
    path("posyandu/<int:posyandu_id>/", views.posyandu_page, name="posyandu"),
    path("posyandu/<int:posyandu_id>/tindak-lanjut/", views.posyandu_follow_up, name="posyandu_follow_up"),
]
