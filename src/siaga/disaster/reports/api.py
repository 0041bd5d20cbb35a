"""Disaster reports API (/api/disaster/reports/...)."""

from ninja import Router

router = Router(tags=["disaster_reports"])
