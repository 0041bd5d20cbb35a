"""Posyandu problems and plans: admin."""
