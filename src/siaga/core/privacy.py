"""Personal data: masked by default, revealed only by a recorded action, and every opening of a record logged.

UU 27/2022 (personal data protection) makes NIK, health and location data accountable: who
processed them, when and why. Detail views of people (donors, posyandu persons, vital events,
volunteers) call `log_view`; a full NIK is returned only by `reveal`, which needs a reason and the
right to act on the record, and is logged with that reason. Lists never carry more than the masked
form. The log itself is personal data too: it is readable with audit.view and kept for
SIAGA_RETENTION_DAYS["personal_data_access"] days (siaga.core.retention).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import PersonalDataAccess
from .permissions import Actor


def _user(actor: Actor):
    u = getattr(actor, "user", None)
    return u if getattr(u, "pk", None) else None


def _record(actor: Actor, kind: str, obj: models.Model, fields=(), reason: str = "", via: str = "") -> None:
    token_id = (getattr(actor, "extra", None) or {}).get("token_id")
    if token_id and not via.endswith(f"#token{token_id}"):
        via = f"{via}#token{token_id}"
    PersonalDataAccess.objects.create(
        at=timezone.now(), user=_user(actor), organization=getattr(actor, "organization", None),
        role=str(getattr(actor, "role", "") or ""), kind=kind, model=obj._meta.label_lower, object_id=str(obj.pk),
        fields=list(fields), reason=reason[:300], via=via[:200])


def log_view(actor: Actor, obj: models.Model, *, via: str = "") -> None:
    """Someone opened this person's record (a detail page or a detail API call)."""
    _record(actor, PersonalDataAccess.Kind.VIEW, obj, via=via)


def log_export(actor: Actor, obj: models.Model, fields=(), *, reason: str = "", via: str = "") -> None:
    _record(actor, PersonalDataAccess.Kind.EXPORT, obj, fields, reason=reason, via=via)


def reveal(actor: Actor, obj: models.Model, field: str, *, reason: str, via: str = "") -> str:
    """The full value of a masked field, with the reason recorded. The caller has already checked the right to
    act on the record (its service's own visibility and permission rules)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ServiceError(_("Say why you need the full NIK (at least a few words): it is recorded."),
                           code="reason_required", details={"field": "reason"})
    value = getattr(obj, field) or ""
    if not value:
        raise ServiceError(_("No NIK is recorded for this person."), code="no_value", details={"field": field})
    _record(actor, PersonalDataAccess.Kind.REVEAL, obj, [field], reason=reason, via=via)
    return value


def accesses(actor: Actor):
    """The log, for those who may read the audit trail: their organisations' staff's accesses."""
    actor.require("audit.view")
    qs = PersonalDataAccess.objects.select_related("user", "organization")
    if actor.is_platform_admin:
        return qs
    return qs.filter(organization_id__in=actor.org_ids)
