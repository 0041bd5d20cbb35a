"""Back office for disaster response: types and feed sources are edited here; warnings and dead letters are read."""

from django.contrib import admin

from .models import DisasterEvent, DisasterType, FeedItemError, FeedSource, Notification, Warning


@admin.register(DisasterType)
class DisasterTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_id", "name_en", "group", "active", "sort_order")
    list_filter = ("group", "active")


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "url", "enabled", "interval_seconds", "last_polled_at", "last_ok_at")
    list_filter = ("kind", "enabled")
    readonly_fields = ("last_polled_at", "last_ok_at", "last_error", "last_new_items")


class ReadOnly(admin.ModelAdmin):
    """Written by the services layer only (imports, authoring, reviews): the back office reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Warning)
class WarningAdmin(ReadOnly):
    list_display = ("__str__", "source", "state", "sender", "sent", "severity", "region_code")
    list_filter = ("source", "state", "severity")
    search_fields = ("identifier", "headline_id", "headline_en", "sender")


@admin.register(FeedItemError)
class FeedItemErrorAdmin(ReadOnly):
    list_display = ("source", "kind", "reason", "received_at", "reviewed")
    list_filter = ("reason", "kind", "reviewed")
    search_fields = ("source", "error")


@admin.register(DisasterEvent)
class DisasterEventAdmin(ReadOnly):
    list_display = ("name", "type", "phase", "organization", "started_at", "region_code")
    list_filter = ("phase", "type")
    search_fields = ("name",)


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("title", "organization", "created_at", "read_at")
