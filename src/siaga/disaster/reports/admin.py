"""Disaster reports: back office (read only: field reports, sitreps and 3W are written through the services)."""

from django.contrib import admin

from .models import FieldReport, ResponseActivity, SituationReport


class ReadOnly(admin.ModelAdmin):
    """Corrections are new versions and issued sitreps are frozen: nothing here is edited in place."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FieldReport)
class FieldReportAdmin(ReadOnly):
    list_display = ("event", "region_code", "reported_at", "source", "source_name", "version", "is_current",
                    "organization")
    list_filter = ("source", "is_current")
    search_fields = ("region_code", "source_name", "event__name")


@admin.register(SituationReport)
class SituationReportAdmin(ReadOnly):
    list_display = ("event", "kind", "number", "period_start", "period_end", "issued_at", "organization")
    list_filter = ("kind",)


@admin.register(ResponseActivity)
class ResponseActivityAdmin(ReadOnly):
    list_display = ("event", "organization", "sector", "activity", "region_code", "reached", "status")
    list_filter = ("sector", "status")
