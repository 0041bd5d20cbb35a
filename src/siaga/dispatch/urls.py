"""Dispatch pages."""

app_name = "dispatch"
urlpatterns: list = []
