"""Blood service: see models.py and services.py."""
