"""Disaster response API."""

from ninja import Router

router = Router(tags=["disaster"])
