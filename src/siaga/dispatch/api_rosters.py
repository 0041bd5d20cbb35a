"""Dispatch API: rosters."""

from ninja import Router

router = Router(tags=["dispatch"])
