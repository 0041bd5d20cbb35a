"""Logistics: event names and payload schemas."""
