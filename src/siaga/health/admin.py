"""Back office for community health: posyandu set-up, and read-only views of persons and measurements (NIK masked)."""

from django.contrib import admin

from .models import Measurement, Person, Posyandu, Session


@admin.register(Posyandu)
class PosyanduAdmin(admin.ModelAdmin):
    list_display = ("name", "region_code", "organization", "schedule_day_of_month", "schedule_week_of_month",
                    "schedule_weekday", "active")
    search_fields = ("name", "region_code")
    list_filter = ("active",)


class _ReadOnly(admin.ModelAdmin):
    """Writes go through services.py (audit, events, checks); the admin only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(_ReadOnly):
    list_display = ("name", "nik_masked", "sex", "birth_date", "posyandu", "region_code")
    search_fields = ("name",)
    list_filter = ("sex",)
    exclude = ("nik", "nik_hash")


@admin.register(Session)
class SessionAdmin(_ReadOnly):
    list_display = ("posyandu", "date", "status")
    list_filter = ("status",)


@admin.register(Measurement)
class MeasurementAdmin(_ReadOnly):
    list_display = ("person", "measured_on", "weight_g", "length_height_mm", "category_lhfa", "category_wflh",
                    "growth_status", "implausible")
    list_filter = ("category_lhfa", "category_wflh", "growth_status", "implausible")
