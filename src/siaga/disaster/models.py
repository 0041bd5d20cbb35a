"""Disaster response records."""
