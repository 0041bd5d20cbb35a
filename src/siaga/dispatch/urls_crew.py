"""Dispatch pages: crew."""

urlpatterns: list = []
