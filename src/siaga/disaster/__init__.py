"""Disaster response: see models.py and services.py."""
