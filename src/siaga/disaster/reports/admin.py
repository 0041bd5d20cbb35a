"""Disaster reports: admin."""
