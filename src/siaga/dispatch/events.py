"""Dispatch event types and their payload schemas."""
