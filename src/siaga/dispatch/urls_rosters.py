"""Fleet, roster and statistics pages (namespace "dispatch", under /dispatch/armada/)."""

from django.urls import path

from . import views_rosters as views

urlpatterns = [
    path("", views.fleet, name="fleet"),
    path("jadwal/", views.roster, name="roster"),
    path("jadwal/shift/", views.shift_create, name="roster_shift_create"),
    path("jadwal/shift/<int:shift_id>/petugas/", views.shift_assign, name="roster_shift_assign"),
    path("jadwal/shift/<int:shift_id>/hapus/", views.shift_delete, name="roster_shift_delete"),
    path("jadwal/salin/", views.copy_week, name="roster_copy_week"),
    path("jadwal/peringatan/", views.roster_warnings, name="roster_warnings"),
    path("statistik/", views.stats_page, name="stats"),
    path("statistik/export.<str:ext>", views.stats_export, name="stats_export"),
]
