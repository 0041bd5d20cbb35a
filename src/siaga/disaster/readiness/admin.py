"""Readiness and training back office: border zones are edited here; modules, checklists, drills and
completions are written through the services (pages and API) and only read here."""

from django.contrib import admin

from .models import BorderZone, Drill, SopChecklist, TrainingCompletion, TrainingModule


@admin.register(BorderZone)
class BorderZoneAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region_codes", "sort_order")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TrainingModule)
class TrainingModuleAdmin(ReadOnly):
    list_display = ("code", "title", "organization", "pass_mark_percent", "validity_months", "skill", "active")
    list_filter = ("active",)
    search_fields = ("code", "title")


@admin.register(TrainingCompletion)
class TrainingCompletionAdmin(ReadOnly):
    list_display = ("module", "user", "organization", "score_percent", "passed", "completed_at", "valid_until")
    list_filter = ("passed",)


@admin.register(SopChecklist)
class SopChecklistAdmin(ReadOnly):
    list_display = ("title", "disaster_type", "organization", "version", "active")
    list_filter = ("disaster_type", "active")


@admin.register(Drill)
class DrillAdmin(ReadOnly):
    list_display = ("held_on", "title", "checklist", "organization", "region_code", "participants")
