"""Annual report pages: the year, a figure's records, and the year as CSV, XLSX or PDF (all by query string)."""

from django.urls import path

from . import views

app_name = "annual"
urlpatterns = [
    path("", views.year_page, name="year"),
    path("rincian/", views.records_page, name="records"),
    path("unduh/", views.download, name="download"),
]
