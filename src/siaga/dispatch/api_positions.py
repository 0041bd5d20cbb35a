"""Dispatch API: positions."""

from ninja import Router

router = Router(tags=["dispatch"])
