"""Dispatch API."""

from ninja import Router

router = Router(tags=["dispatch"])
