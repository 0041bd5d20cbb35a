"""Dispatch pages: rosters."""

urlpatterns: list = []
