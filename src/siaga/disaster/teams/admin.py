"""Team activation: admin. Activations, alerts and assignments are written by the services layer only (rest rules,
status changes, events): the back office reads them. Teams are edited on the team pages, which audit the change."""

from django.contrib import admin

from .models import Activation, ActivationAlert, Assignment, Team, TeamMembership


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    raw_id_fields = ("volunteer",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(ReadOnly):
    list_display = ("name", "kind", "organization", "region_code", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    inlines = [MembershipInline]


@admin.register(Activation)
class ActivationAdmin(ReadOnly):
    list_display = ("id", "event", "organization", "number_needed", "max_travel_km", "state", "created_at")
    list_filter = ("state",)
    date_hierarchy = "created_at"


@admin.register(ActivationAlert)
class ActivationAlertAdmin(ReadOnly):
    list_display = ("activation", "volunteer", "answer", "sent_at", "answered_at", "distance_km", "via_grant")
    list_filter = ("answer", "via_grant")
    raw_id_fields = ("activation", "volunteer")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ("activation", "volunteer", "role", "check_in_at", "check_out_at", "shift_limit_hours",
                    "cancelled_at")
    raw_id_fields = ("activation", "volunteer", "alert")
