"""Disaster response pages."""

app_name = "disaster"
urlpatterns: list = []
