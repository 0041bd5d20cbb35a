"""Errors the services layer raises; the API turns them into one stable JSON shape."""

from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A refusal with a stable machine code, an HTTP status and a message in the user's language."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, code: str | None = None, details=None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details
        if status is not None:
            self.status = status


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message: str | None = None, **kw):
        super().__init__(message or _("Not found."), **kw)


class Conflict(ServiceError):
    status = 409
    code = "conflict"


def error_body(code: str, message: str, details=None) -> dict:
    """The one error shape every API error uses: {"error": {"code", "message", "details"}}."""
    return {"error": {"code": code, "message": str(message), "details": details}}
