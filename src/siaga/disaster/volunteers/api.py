"""Volunteers API (/api/disaster/volunteers/...)."""

from ninja import Router

router = Router(tags=["disaster_volunteers"])
