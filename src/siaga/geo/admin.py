"""Back office for regions: browse codes, names and boundary imports (read-only: imports are the write path)."""

from django.contrib import admin

from siaga.core.admin import ReadOnlyAdminMixin, SiagaModelAdmin

from .models import BoundaryImport, Region


# Regions and boundaries change only through the importers, which validate, audit and announce.
@admin.register(Region)
class RegionAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "region.view"
    org_field = None
    list_display = ("code", "name", "level", "parent_id", "h3_cell", "boundary_source", "boundary_repaired")
    list_filter = ("level", "boundary_repaired")
    search_fields = ("code", "name", "search_key")
    exclude = ("boundary",)
    show_full_result_count = False


@admin.register(BoundaryImport)
class BoundaryImportAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "boundary.import"
    list_display = ("at", "source", "actor", "organization", "features", "updated", "unchanged")
    list_filter = ("at",)
    search_fields = ("source",)
