"""Readiness and training: event names and payload schemas."""
