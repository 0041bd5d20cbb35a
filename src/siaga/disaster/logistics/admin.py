"""Logistics: admin."""
