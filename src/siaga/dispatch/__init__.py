"""Dispatch: see models.py and services.py."""
