"""Dispatch pages: console."""

urlpatterns: list = []
