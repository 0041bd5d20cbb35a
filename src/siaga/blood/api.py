"""Blood service API."""

from ninja import Router

router = Router(tags=["blood"])
