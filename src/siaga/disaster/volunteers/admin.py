"""Volunteers: admin."""
