"""Logistics API (/api/disaster/logistics/...)."""

from ninja import Router

router = Router(tags=["disaster_logistics"])
