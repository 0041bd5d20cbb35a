"""Volunteers: event names and payload schemas."""
