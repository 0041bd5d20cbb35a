"""Dispatch pages: hospitals."""

urlpatterns: list = []
