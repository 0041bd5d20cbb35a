"""Team activation API (/api/disaster/teams/...)."""

from ninja import Router

router = Router(tags=["disaster_teams"])
