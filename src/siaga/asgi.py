"""ASGI entry point for uvicorn."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
application = get_asgi_application()

from siaga.core import ticker  # noqa: E402  (needs the app registry ready)

ticker.start()
