"""Back office for dispatch: fleet and crews are edited here by their organisation; dispatches, status history
and positions are written only by the services, so the admin shows them read-only."""

from django.contrib import admin

from siaga.core.admin import ReadOnlyAdminMixin, SiagaModelAdmin

from .models import CrewMember, Dispatch, HospitalCapacity, PositionReport, Shift, Station, StatusChange, Unit


@admin.register(Station)
class StationAdmin(SiagaModelAdmin):
    view_permission, manage_permission = "unit.view", "unit.manage"
    region_field = "region_code"
    list_display = ("name", "kind", "organization", "region_code", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)


@admin.register(Unit)
class UnitAdmin(SiagaModelAdmin):
    view_permission, manage_permission = "unit.view", "unit.manage"
    region_field = "region_code"
    list_display = ("call_sign", "kind", "organization", "station", "status", "active")
    list_filter = ("kind", "status", "active")
    search_fields = ("call_sign", "plate_number")
    readonly_fields = ("status", "status_changed_at", "current_dispatch", "lat", "lng", "position_at", "speed_kmh",
                       "heading_deg", "snapped_lat", "snapped_lng", "snap_m")
    raw_id_fields = ("organization", "dispatch_center", "station")


@admin.register(CrewMember)
class CrewMemberAdmin(SiagaModelAdmin):
    view_permission, manage_permission = "unit.view", "roster.manage"
    list_display = ("name", "organization", "active")
    search_fields = ("name", "phone")
    raw_id_fields = ("organization", "user")


@admin.register(Shift)
class ShiftAdmin(SiagaModelAdmin):
    view_permission, manage_permission = "unit.view", "roster.manage"
    list_display = ("starts_at", "ends_at", "unit", "station", "role", "member")
    list_filter = ("role",)
    raw_id_fields = ("organization", "unit", "station", "member")


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "unit.view"
    list_display = ("incident", "unit", "status", "alerted_at", "acknowledged_at", "on_scene_at")
    list_filter = ("status",)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "unit.view"
    org_field = "unit__organization"
    list_display = ("unit", "from_status", "to_status", "at", "received_at")


@admin.register(PositionReport)
class PositionReportAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "unit.view"
    org_field = "unit__organization"
    list_display = ("unit", "measured_at", "lat", "lng", "flag")


@admin.register(HospitalCapacity)
class HospitalCapacityAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "hospital.view"
    region_field = "region_code"
    list_display = ("organization", "accepting", "emergency_beds_free", "icu_beds_free", "updated_at")
