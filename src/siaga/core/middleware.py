"""Request middleware: who is asking (session or device token), and replay of retried writes."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.http import HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from . import tokens
from .errors import error_body
from .models import IdempotencyRecord
from .permissions import Actor, actor_for

SESSION_MEMBERSHIP_KEY = "siaga_membership_id"


def _actor_from_token(tok) -> Actor:
    m = tok.membership
    return Actor(user=m.user, membership=m, organization=m.organization, role=m.role, scope_code=m.scope_code,
                 extra={"token_id": tok.pk}, token_scopes=tokens.scopes_of(tok))


class ActorMiddleware:
    """Sets request.actor: the membership the user acts through (None when anonymous or without one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        auth = request.headers.get("Authorization", "")
        request.auth_token = None
        if auth.lower().startswith("bearer "):
            tok = tokens.resolve(auth[7:].strip())
            if tok is None:
                if request.path.startswith("/api/"):
                    return JsonResponse(error_body("invalid_token", _("The API token is invalid or revoked.")),
                                        status=401)
            else:
                request.auth_token = tok
                request.user = tok.membership.user
                request._dont_enforce_csrf_checks = True
                actor = _actor_from_token(tok)
                request.actor = actor
                return self.get_response(request)

        def lazy_actor():
            membership_id = request.session.get(SESSION_MEMBERSHIP_KEY) if hasattr(request, "session") else None
            return actor_for(getattr(request, "user", None), membership_id)

        request.actor = SimpleLazyObject(lazy_actor)
        return self.get_response(request)


class IdempotencyMiddleware:
    """Replays the stored answer when an API write is retried with the same Idempotency-Key.

    The key is reserved (unique per user) in the same transaction as the write and its stored answer, so two
    concurrent retries cannot both execute it: the second waits for the first and replays its answer. A write
    that fails (5xx) leaves nothing behind, so it may be retried. The same key with a different request body is
    refused with 422.
    """

    METHODS = {"POST", "PUT", "PATCH", "DELETE"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get("Idempotency-Key")
        user = getattr(request, "user", None)
        if (
            not key
            or request.method not in self.METHODS
            or not request.path.startswith("/api/")
            or user is None
            or not user.is_authenticated
        ):
            return self.get_response(request)
        key = key.strip()[:200]
        fingerprint = hashlib.sha256(
            request.method.encode() + b" " + request.get_full_path().encode() + b"\n" + request.body
        ).hexdigest()
        # The reservation, the write and the stored answer commit together or not at all: a crash or a failed
        # write leaves no reserved key without an answer (which would make every retry 409 for ever), and an
        # acknowledged answer is always there to replay. A concurrent retry waits on the key's unique index
        # (PostgreSQL) or the write lock (SQLite) and then replays the committed answer.
        replay = None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
            except IntegrityError:
                record = None
                replay = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if record is not None:
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    # A failed write: undo whatever it did and the reservation with it, so the client may retry.
                    transaction.set_rollback(True)
                else:
                    record.status_code = response.status_code
                    record.content_type = response.get("Content-Type", "application/json")
                    record.body = response.content
                    record.save(update_fields=["status_code", "content_type", "body"])
                return response
        if replay is None:  # the first attempt failed and released the key meanwhile
            return self.get_response(request)
        if replay.fingerprint != fingerprint:
            return JsonResponse(
                error_body("idempotency_key_reused",
                           _("This Idempotency-Key was already used for a different request.")),
                status=422,
            )
        if replay.status_code is None:  # a reservation from before answers were stored with it
            return JsonResponse(
                error_body("idempotency_in_progress", _("The same request is still being processed; retry shortly.")),
                status=409,
            )
        resp = HttpResponse(bytes(replay.body), status=replay.status_code, content_type=replay.content_type)
        resp["Idempotent-Replayed"] = "true"
        return resp


def json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


class LanguageMiddleware(LocaleMiddleware):
    """Bahasa Indonesia unless the user chose otherwise.

    Many Indonesian phones run with an English system language, so a browser's Accept-Language
    is not taken as a choice for pages: only the language cookie (set by the language switch and
    at login from the user's preference) changes it. API clients may still ask with Accept-Language.
    """

    def process_request(self, request):
        supported = dict(settings.LANGUAGES)
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in supported:
            lang = None
            if request.path.startswith("/api/") and "HTTP_ACCEPT_LANGUAGE" in request.META:
                lang = translation.get_language_from_request(request, check_path=False)
        lang = lang if lang in supported else settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()


class SecurityHeadersMiddleware:
    """Content-Security-Policy and related headers on every response.

    Pages carry no inline script, no inline style and nothing remote, so the policy is strict. The
    two exceptions are third-party pages we do not write: Django's admin (inline styles) and the
    API's interactive documentation (its bundled Swagger page starts with an inline script).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            path = request.path
            if path.startswith(settings.SIAGA_CSP_RELAXED_PATHS):
                response["Content-Security-Policy"] = settings.SIAGA_CSP_RELAXED
            else:
                response["Content-Security-Policy"] = settings.SIAGA_CSP
        response.setdefault("Referrer-Policy", "same-origin")
        # Crews share their position (geolocation); nothing else may use the camera, microphone or payments.
        response.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=(), payment=()")
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
