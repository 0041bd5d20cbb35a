"""The REST API: one NinjaAPI with every app's router, one authentication rule and one error shape."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from siaga.core.errors import ServiceError, error_body
from siaga.core.uploads import JSON_TYPES
from siaga.core.permissions import PermissionDenied


class SessionActor(APIKeyCookie):
    """A logged-in browser session (CSRF-checked on writes) acting through its chosen membership."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        actor = getattr(request, "actor", None)
        return actor or None


class BearerActor(HttpBearer):
    """A device or system token (resolved by ActorMiddleware)."""

    def authenticate(self, request, token):
        if getattr(request, "auth_token", None) is not None:
            return request.actor
        return None


api = NinjaAPI(
    title="Siaga API",
    version="1",
    description="Sistem informasi kedaruratan dan kemanusiaan terpadu. Errors: {\"error\": {\"code\", \"message\", \"details\"}}.",
    auth=[BearerActor(), SessionActor()],
    urls_namespace="api",
)


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    return api.create_response(request, error_body(exc.code, exc.message, exc.details), status=exc.status)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return api.create_response(request, error_body(exc.code, exc.message), status=403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return api.create_response(request, error_body("not_found", _("Not found.")), status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(request, error_body("unauthenticated", _("Please log in first.")), status=401)


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    return api.create_response(
        request, error_body("invalid_input", _("The input is not valid."), exc.errors), status=422
    )


def _out_of_range(request):
    return api.create_response(request, error_body("out_of_range", _(
        "A number or text in the request is outside what can be stored (too large or too long).")), status=400)


@api.exception_handler(OverflowError)
def _overflow(request, exc):
    # An id, offset or filter beyond 64-bit integers: SQLite cannot even bind it, so no row could match.
    return _out_of_range(request)


@api.exception_handler(DataError)
def _data_error(request, exc):
    # PostgreSQL's refusal of a value its column cannot hold (numeric out of range, value too long, NUL in text).
    return _out_of_range(request)


@api.exception_handler(IntegrityError)
def _integrity_error(request, exc):
    # SQLite reports LIMIT/OFFSET beyond 64 bits as "datatype mismatch"; any other integrity error is a bug.
    if "datatype mismatch" in str(exc):
        return _out_of_range(request)
    raise exc


@api.exception_handler(ValueError)
def _nul_in_text(request, exc):
    # PostgreSQL cannot store NUL (0x00) in text; its driver refuses before the query (SQLite stores it).
    if "NUL" in str(exc) and "0x00" in str(exc):
        return api.create_response(request, error_body("invalid_text", _(
            "Text in the request contains a NUL character (0x00), which cannot be stored.")), status=400)
    raise exc


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    # A JSON body above DATA_UPLOAD_MAX_MEMORY_SIZE: Django's answer would be an HTML 400 page.
    return api.create_response(request, error_body("too_large", _(
        "The request is larger than %(limit)d bytes.") % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}), status=413)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja answers any body it cannot read with an English "Cannot parse request body": say what went wrong.
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        declared = (request.content_type or "").lower()
        if declared not in JSON_TYPES:
            return api.create_response(request, error_body("unsupported_media_type", _(
                "Send the body as application/json, not %(type)s.") % {"type": declared or "-"}), status=415)
        return api.create_response(request, error_body("invalid_json", _("The body is not valid JSON.")), status=400)
    return api.create_response(request, error_body("http_error", str(exc)), status=exc.status_code)


from siaga.core.api import router as core_router  # noqa: E402
from siaga.geo.api import router as geo_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/regions", geo_router)

from siaga.callcenter.api import router as callcenter_router  # noqa: E402
from siaga.callcenter.api_public import router as public_router  # noqa: E402
from siaga.callcenter.api_referrals import router as referrals_router  # noqa: E402

api.add_router("/callcenter", callcenter_router)
api.add_router("/callcenter/referrals", referrals_router)
api.add_router("/public", public_router)

from siaga.routing.api import router as routing_router  # noqa: E402

api.add_router("/routing", routing_router)

from siaga.dispatch.api import router as dispatch_router  # noqa: E402
from siaga.blood.api import router as blood_router  # noqa: E402

api.add_router("/dispatch", dispatch_router)
api.add_router("/blood", blood_router)

from siaga.disaster.api import router as disaster_router  # noqa: E402
from siaga.health.api import router as health_router  # noqa: E402

api.add_router("/disaster", disaster_router)
api.add_router("/health", health_router)

from siaga.disaster.logistics.api import router as logistics_router  # noqa: E402
from siaga.disaster.mutualaid.api import router as mutualaid_router  # noqa: E402
from siaga.disaster.readiness.api import router as readiness_router  # noqa: E402
from siaga.disaster.reports.api import router as disaster_reports_router  # noqa: E402
from siaga.disaster.teams.api import router as teams_router  # noqa: E402
from siaga.disaster.volunteers.api import router as volunteers_router  # noqa: E402
from siaga.health.plans.api import router as plans_router  # noqa: E402

api.add_router("/disaster/volunteers", volunteers_router)
api.add_router("/disaster/teams", teams_router)
api.add_router("/disaster/logistics", logistics_router)
api.add_router("/disaster/mutual-aid", mutualaid_router)
api.add_router("/disaster/reports", disaster_reports_router)
api.add_router("/disaster/readiness", readiness_router)
api.add_router("/health/plans", plans_router)
from siaga.health.api_fhir import router as fhir_router  # noqa: E402
from siaga.health.api_lifecycle import router as lifecycle_router  # noqa: E402
from siaga.health.api_pws import router as pws_router  # noqa: E402

api.add_router("/health/lifecycle", lifecycle_router)
api.add_router("/health/pws", pws_router)
api.add_router("/health/fhir", fhir_router)
