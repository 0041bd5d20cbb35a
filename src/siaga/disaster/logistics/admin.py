"""Logistics admin: the catalogue (items, kits, needs mappings) is reference data edited here; stock is not —
lots change only through movements, so they are read-only in the admin."""

from django.contrib import admin

from .models import Item, KitComponent, Movement, NeedsItem, StockLot, Warehouse


class KitComponentInline(admin.TabularInline):
    model = KitComponent
    fk_name = "kit"
    extra = 0
    autocomplete_fields = ["component"]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "category", "catalog", "active"]
    list_filter = ["catalog", "active"]
    search_fields = ["code", "name"]
    inlines = [KitComponentInline]


@admin.register(NeedsItem)
class NeedsItemAdmin(admin.ModelAdmin):
    list_display = ["needs_item", "item", "units_per_item"]
    autocomplete_fields = ["item"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Writes go through the services (permissions, audit, events); the admin only looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Warehouse)
class WarehouseAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "region_code", "active"]
    search_fields = ["name", "code"]
    list_filter = ["active"]


@admin.register(StockLot)
class StockLotAdmin(ReadOnlyAdmin):
    list_display = ["item", "warehouse", "lot_number", "expiry", "quantity"]
    list_filter = ["warehouse"]
    search_fields = ["item__code", "item__name", "lot_number"]


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "warehouse", "item", "quantity_change", "quantity_after", "reason"]
    list_filter = ["kind"]
