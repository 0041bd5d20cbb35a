"""Call-center operations pages (namespace "callcenter"): call-taker screen, incident board and detail, evaluation."""

from django.urls import path

from . import views_ops

urlpatterns = [
    path("", views_ops.calltaker, name="calltaker"),
    path("insiden/", views_ops.board, name="board"),
    path("insiden/fragment/", views_ops.board_fragment, name="board_fragment"),
    path("insiden/<int:incident_id>/", views_ops.incident_detail, name="incident"),
    path("evaluasi/", views_ops.evaluation, name="evaluation"),
    path("evaluasi/export.csv", views_ops.export_csv, name="export_csv"),
    path("evaluasi/export.xlsx", views_ops.export_xlsx, name="export_xlsx"),
]
