"""Life-cycle service pages (/posyandu/layanan/...)."""

from django.urls import path

from . import views_lifecycle as views

app_name = "health_lifecycle"
urlpatterns = [
    path("", views.index, name="index"),
    path("posyandu/<int:posyandu_id>/", views.due_page, name="due"),
    path("ibu-hamil/", views.pregnancies_page, name="pregnancies"),
    path("ibu-hamil/<int:pregnancy_id>/", views.pregnancy_page, name="pregnancy"),
    path("warga/", views.people_page, name="people"),
    path("warga/<int:person_id>/imunisasi/", views.card_page, name="card"),
    path("warga/<int:person_id>/skrining/", views.screening_page, name="screening"),
]
