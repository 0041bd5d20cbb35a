"""Live event stream (SSE). Replaced by the full implementation."""
from django.http import HttpResponse


async def stream(request):
    return HttpResponse(status=501)
