"""Posyandu problems and plans API (/api/health/plans/...)."""

from ninja import Router

router = Router(tags=["health_plans"])
