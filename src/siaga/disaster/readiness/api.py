"""Readiness and training API (/api/disaster/readiness/...)."""

from ninja import Router

router = Router(tags=["disaster_readiness"])
