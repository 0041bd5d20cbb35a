"""Back office for the call center: taxonomy, priority policies, routing rules, caller records; calls and incidents read-only.

Calls, incidents and referrals change only through the services (timeline, events, audit), so the
admin shows them without edit rights. The taxonomy and the priority policies are national
reference data: every call center reads them, only platform administrators change them.
"""

from __future__ import annotations

from django.contrib import admin

from siaga.core.admin import SiagaModelAdmin, _actor
from siaga.core.models import Organization

from .models import Call, CallerNumber, Incident, IncidentType, PriorityPolicy, Referral, RoutingRule, TimelineEntry


class ReferenceDataAdmin(SiagaModelAdmin):
    """Rows without an owner: visible to those who configure call centers, editable by platform administrators."""

    view_permission = "callcenter.configure"
    manage_permission = "callcenter.configure"

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs if _actor(request) is not None else qs.none()

    def _platform(self, request) -> bool:
        actor = _actor(request)
        return bool(actor is not None and actor.is_platform_admin and request.user.is_staff)

    def has_change_permission(self, request, obj=None):
        return self._platform(request)

    def has_add_permission(self, request):
        return self._platform(request)

    def has_delete_permission(self, request, obj=None):
        return self._platform(request)


@admin.register(IncidentType)
class IncidentTypeAdmin(ReferenceDataAdmin):
    list_display = ("name", "code", "category", "default_priority", "needs_capability", "active", "sort_order")
    list_filter = ("category", "default_priority", "active")
    search_fields = ("name", "code", "keywords")
    ordering = ("sort_order", "name")
    readonly_fields = ("audit_trail",)


@admin.register(PriorityPolicy)
class PriorityPolicyAdmin(ReferenceDataAdmin):
    list_display = ("priority", "response_target_minutes", "ack_deadline_minutes", "escalate_again_minutes")
    readonly_fields = ("audit_trail",)


class OwnOrganizationMixin:
    """Offer only the actor's own organisations as the owner of a new row."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "organization":
            actor = _actor(request)
            qs = Organization.objects.all()
            if actor is None:
                qs = qs.none()
            elif not actor.is_platform_admin:
                qs = qs.filter(pk__in=actor.org_ids)
            kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(RoutingRule)
class RoutingRuleAdmin(OwnOrganizationMixin, SiagaModelAdmin):
    view_permission = "callcenter.configure"
    manage_permission = "callcenter.configure"
    list_display = ("organization", "incident_type", "region_prefix", "agency", "active")
    list_filter = ("active", "incident_type")
    search_fields = ("organization__name", "agency__name", "region_prefix")
    raw_id_fields = ("agency",)
    readonly_fields = ("audit_trail",)


@admin.register(CallerNumber)
class CallerNumberAdmin(SiagaModelAdmin):
    view_permission = "call.view"
    manage_permission = "callcenter.configure"
    list_display = ("number", "organization", "total_calls", "nuisance_calls", "flagged", "policy", "last_call_at")
    list_filter = ("flagged", "policy")
    search_fields = ("number",)
    readonly_fields = ("organization", "number", "total_calls", "nuisance_calls", "last_call_at", "flagged_at",
                       "audit_trail")

    def has_add_permission(self, request):
        return False  # records appear when calls are closed


class ReadOnlyAdmin(SiagaModelAdmin):
    """Rows written only by the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ("at", "kind", "text", "actor", "organization")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    view_permission = "incident.view"
    region_field = "region_code"
    list_display = ("number", "type", "priority", "status", "region_code", "organization", "created_at")
    list_filter = ("status", "priority", "type")
    search_fields = ("number", "description", "address")
    date_hierarchy = "created_at"
    inlines = [TimelineInline]
    list_select_related = ("type", "organization")


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    view_permission = "call.view"
    region_field = "region_code"
    list_display = ("started_at", "channel", "caller_number", "outcome", "incident", "organization")
    list_filter = ("channel", "outcome", "caller_flagged")
    search_fields = ("caller_number", "outcome_reason")
    date_hierarchy = "started_at"
    list_select_related = ("incident", "organization")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    view_permission = "referral.view"
    org_field = "incident__organization"
    region_field = "incident__region_code"
    list_display = ("incident", "agency", "status", "requested_at", "ack_deadline", "escalation_level")
    list_filter = ("status", "escalation_level")
    search_fields = ("incident__number", "agency__name")
    list_select_related = ("incident", "agency")

