"""Mutual aid back office: requests, their lines, lent resources, history and letters are read here; every change
goes through the services (the two organisations' pages and API), so the admin never edits them."""

from django.contrib import admin

from .models import Letter, MutualAidLine, MutualAidRequest, MutualAidResource, Transition


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LineInline(ReadOnlyInline):
    model = MutualAidLine
    fields = ("position", "kind", "quantity", "item_code", "description")


class ResourceInline(ReadOnlyInline):
    model = MutualAidResource
    fields = ("line", "kind", "unit", "volunteer", "item_code", "quantity", "consumed_quantity", "description")


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ("at", "from_state", "to_state", "side", "actor", "actor_organization", "note")


class LetterInline(ReadOnlyInline):
    model = Letter
    fields = ("kind", "filename", "content_type", "size_bytes", "sha256", "organization", "uploaded_at")


@admin.register(MutualAidRequest)
class MutualAidRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "organization", "lender", "state", "region_code", "requested_at", "event")
    list_filter = ("state",)
    search_fields = ("id", "organization__name", "lender__name", "contact_name")
    inlines = [LineInline, ResourceInline, TransitionInline, LetterInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
