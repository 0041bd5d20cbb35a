"""Dispatch records."""
