"""Posyandu problems and plans: event names and payload schemas."""
