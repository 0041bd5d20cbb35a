"""Dispatch API: hospitals."""

from ninja import Router

router = Router(tags=["dispatch"])
