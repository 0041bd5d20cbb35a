"""Readiness and training: admin."""
