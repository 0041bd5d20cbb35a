"""Call-center API router (being built)."""

from ninja import Router

router = Router(tags=["callcenter"])
