"""Mutual aid API (/api/disaster/mutual-aid/...)."""

from ninja import Router

router = Router(tags=["disaster_mutualaid"])
