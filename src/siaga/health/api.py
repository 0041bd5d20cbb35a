"""Community health API."""

from ninja import Router

router = Router(tags=["health"])
