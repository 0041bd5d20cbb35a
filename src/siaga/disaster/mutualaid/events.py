"""Mutual aid: event names and payload schemas."""
