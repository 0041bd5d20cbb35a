"""Back office for road networks (read-only: they come from `siaga import roads`) and closures."""

from django.contrib import admin

from .models import RoadClosure, RoadNetwork


@admin.register(RoadNetwork)
class RoadNetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "region_code", "node_count", "arc_count", "dropped_node_count", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "region_code")
    readonly_fields = [f.name for f in RoadNetwork._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(RoadClosure)
class RoadClosureAdmin(admin.ModelAdmin):
    list_display = ("reason", "kind", "network", "organization", "starts_at", "ends_at", "lifted_at")
    list_filter = ("kind",)
    search_fields = ("reason",)
    raw_id_fields = ("network", "organization", "author", "lifted_by")
