"""Logistics pages (/bencana/logistik/...)."""

from django.urls import path

from . import views

app_name = "disaster_logistics"

urlpatterns = [
    path("", views.stock_page, name="stock"),
    path("peringatan/", views.alerts_page, name="alerts"),
    path("pengiriman/", views.shipments_page, name="shipments"),
    path("pengiriman/<int:shipment_id>/", views.shipment_page, name="shipment"),
    path("distribusi/", views.distributions_page, name="distributions"),
    path("gudang/", views.warehouses_page, name="warehouses"),
    path("kebutuhan/", views.needs_page, name="needs"),
    path("kebutuhan/<int:event_id>/", views.needs_page, name="needs_event"),
]
