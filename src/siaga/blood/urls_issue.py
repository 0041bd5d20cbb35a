"""Pages of hospital requests, issue, transfers, statistics and tracing under /darah/ (namespace "blood")."""

from django.urls import path

from . import views_issue

urlpatterns = [
    path("permintaan/", views_issue.requests, name="requests"),
    path("permintaan/baru/", views_issue.request_new, name="request_new"),
    path("permintaan/<int:request_id>/", views_issue.request_detail, name="request"),
    path("mutasi/", views_issue.transfers, name="transfers"),
    path("mutasi/<int:transfer_id>/", views_issue.transfer_detail, name="transfer"),
    path("panggil/", views_issue.recalls, name="recalls"),
    path("panggil/<int:campaign_id>/", views_issue.recall_detail, name="recall"),
    path("statistik/", views_issue.blood_stats, name="blood_stats"),
    # Vein to vein from a unit, a patient's request, a donor or a DIN.
    path("telusur/", views_issue.trace, name="trace"),
]
