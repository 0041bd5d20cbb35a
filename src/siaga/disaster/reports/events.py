"""Disaster reports: event names and payload schemas."""
