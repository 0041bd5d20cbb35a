"""Back office for regions: browse codes, names and boundary imports (read-only: imports are the write path)."""

from django.contrib import admin

from .models import BoundaryImport, Region


class ReadOnlyAdmin(admin.ModelAdmin):
    # Regions and boundaries change only through the importers, which validate, audit and announce.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "parent_id", "h3_cell", "boundary_source", "boundary_repaired")
    list_filter = ("level", "boundary_repaired")
    search_fields = ("code", "name", "search_key")
    exclude = ("boundary",)
    show_full_result_count = False


@admin.register(BoundaryImport)
class BoundaryImportAdmin(ReadOnlyAdmin):
    list_display = ("at", "source", "actor", "organization", "features", "updated", "unchanged")
    list_filter = ("at",)
    search_fields = ("source",)
