"""ASGI entry point for uvicorn: Django behind a per-process limit on requests in flight."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
django_application = get_asgi_application()

from siaga.core import ticker  # noqa: E402  (needs the app registry ready)
from siaga.core.inflight import InflightLimit  # noqa: E402

application = InflightLimit(django_application)

ticker.start()
