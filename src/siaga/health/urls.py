"""Community health pages at /posyandu/."""

from django.urls import path

from . import views

app_name = "health"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:posyandu_id>/buka/", views.open_session, name="open_session"),
    path("<int:posyandu_id>/impor/", views.import_page, name="import"),
    path("hari/<int:session_id>/", views.session_page, name="session"),
    path("anak/<int:person_id>/", views.child_page, name="child"),
]
