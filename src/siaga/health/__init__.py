"""Community health: see models.py and services.py."""
