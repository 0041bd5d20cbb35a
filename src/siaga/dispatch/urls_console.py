"""Dispatch pages: the dispatcher's console at /dispatch/ and the state it re-reads while live."""

from django.urls import path

from . import views_console

urlpatterns = [
    path("", views_console.console, name="console"),
    path("state/", views_console.state, name="console_state"),
]
