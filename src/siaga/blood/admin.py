"""Back office for the blood service: sites, stock targets, demand factors and the reference data (component types,
product codes, eligibility rules) are edited here; donors, donations and units are read-only.

Units, donations and screening change only through the services (quarantine, history, events, audit),
so the admin shows them without edit rights. Component types, product codes and eligibility rules are
national reference data: blood-bank officers read them, platform administrators change them.
"""

from __future__ import annotations

from django.contrib import admin

from siaga.core.admin import SiagaModelAdmin, _actor

from .models import (
    BloodRequest,
    Component,
    ComponentType,
    DemandFactor,
    Donation,
    DonationSession,
    Donor,
    EligibilityRule,
    Lookback,
    ProductCode,
    Site,
    StockTarget,
    Transfer,
)


class BloodAdmin(SiagaModelAdmin):
    view_permission = "blood.view"
    manage_permission = "blood.manage"
    region_field = "region_code"


class ReadOnlyBloodAdmin(BloodAdmin):
    """Records written only by the services: viewable, never edited here."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceDataAdmin(SiagaModelAdmin):
    view_permission = "blood.view"
    manage_permission = "blood.manage"
    org_field = None

    def _platform(self, request) -> bool:
        actor = _actor(request)
        return bool(actor is not None and actor.is_platform_admin and request.user.is_staff)

    def has_change_permission(self, request, obj=None):
        return self._platform(request)

    def has_add_permission(self, request):
        return self._platform(request)

    def has_delete_permission(self, request, obj=None):
        return self._platform(request)


@admin.register(Site)
class SiteAdmin(BloodAdmin):
    list_display = ("name", "code", "kind", "organization", "region_code", "isbt_fin", "public", "active")
    list_filter = ("kind", "public", "active")
    search_fields = ("name", "code", "isbt_fin")
    readonly_fields = ("audit_trail",)


@admin.register(StockTarget)
class StockTargetAdmin(BloodAdmin):
    list_display = ("site", "component_type", "abo", "rhd", "target_days", "amber_days", "min_units")
    list_filter = ("component_type",)


@admin.register(DemandFactor)
class DemandFactorAdmin(SiagaModelAdmin):
    view_permission = "blood.view"
    manage_permission = "blood.manage"
    list_display = ("name", "organization", "starts_on", "ends_on", "factor", "applies_to_supply")

    def get_queryset(self, request):
        from django.db.models import Q

        qs = admin.ModelAdmin.get_queryset(self, request)
        actor = _actor(request)
        if actor is None:
            return qs.none()
        if actor.is_platform_admin:
            return qs
        return qs.filter(Q(organization__isnull=True) | Q(organization_id__in=actor.org_ids))


@admin.register(ComponentType)
class ComponentTypeAdmin(ReferenceDataAdmin):
    list_display = ("code", "name", "group", "shelf_life_hours", "storage_min_c", "storage_max_c", "frozen",
                    "default_fee_bppd_rupiah", "active")
    list_filter = ("group", "active")
    readonly_fields = ("audit_trail",)


@admin.register(ProductCode)
class ProductCodeAdmin(ReferenceDataAdmin):
    list_display = ("code", "component_type", "description", "anticoagulant", "shelf_life_hours", "active")
    list_filter = ("component_type", "active")
    search_fields = ("code", "description")


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(ReferenceDataAdmin):
    list_display = ("code", "parameter", "procedure", "previous_procedure", "bag_volume_ml", "first_time",
                    "min_value", "max_value", "deferral_days", "active")
    list_filter = ("parameter", "procedure", "active")
    readonly_fields = ("audit_trail",)


@admin.register(Donor)
class DonorAdmin(ReadOnlyBloodAdmin):
    list_display = ("number", "name", "nik_masked", "abo", "rhd", "group_confirmed", "donation_count",
                    "next_eligible_on", "permanently_deferred")
    search_fields = ("number", "name")
    exclude = ("nik", "nik_hash")


@admin.register(DonationSession)
class DonationSessionAdmin(ReadOnlyBloodAdmin):
    list_display = ("name", "kind", "site", "starts_at", "target_donors", "status")
    list_filter = ("kind", "status")


@admin.register(Donation)
class DonationAdmin(ReadOnlyBloodAdmin):
    list_display = ("din", "donor", "site", "collected_at", "procedure", "volume_ml", "status", "screening")
    list_filter = ("status", "screening", "procedure")
    search_fields = ("din",)


@admin.register(Component)
class ComponentAdmin(ReadOnlyBloodAdmin):
    list_display = ("din", "component_type", "abo", "rhd", "site", "status", "expires_at")
    list_filter = ("status", "component_type", "abo", "rhd")
    search_fields = ("din",)


@admin.register(Lookback)
class LookbackAdmin(ReadOnlyBloodAdmin):
    list_display = ("pk", "donor", "trigger_donation", "markers", "status", "raised_at")


@admin.register(BloodRequest)
class BloodRequestAdmin(ReadOnlyBloodAdmin):
    list_display = ("number", "organization", "supplier", "urgency", "status", "created_at")
    list_filter = ("urgency", "status")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyBloodAdmin):
    list_display = ("pk", "from_site", "to_site", "status", "requested_at", "received_at")
    list_filter = ("status",)
