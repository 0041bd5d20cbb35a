"""Mutual aid: admin."""
