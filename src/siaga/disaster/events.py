"""Disaster response event types and their payload schemas."""
