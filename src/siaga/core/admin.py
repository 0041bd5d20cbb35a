"""Back office: the admin asks the same permission module as the API and pages, and writes the audit trail."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from . import audit
from .models import ApiToken, AuditLog, Membership, Organization, OutboxEvent, User
from .permissions import actor_for


def _actor(request):
    actor = getattr(request, "actor", None)
    if actor is None:
        actor = actor_for(request.user)
    return actor


class SiagaModelAdmin(admin.ModelAdmin):
    """Admin whose visibility and rights come from siaga.core.permissions, never from Django's own perms."""

    view_permission: str = ""
    manage_permission: str = ""
    org_field: str | None = "organization"  # None: shared reference data, not tenant rows
    region_field: str | None = None

    def _has(self, request, perm: str) -> bool:
        actor = _actor(request)
        return bool(request.user.is_active and request.user.is_staff and actor is not None and perm and actor.has(perm))

    def has_module_permission(self, request):
        return self._has(request, self.view_permission) or self._has(request, self.manage_permission)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or self._visible(request, obj))

    def has_change_permission(self, request, obj=None):
        return self._has(request, self.manage_permission) and (obj is None or self._visible(request, obj))

    def has_add_permission(self, request):
        return self._has(request, self.manage_permission)

    def has_delete_permission(self, request, obj=None):
        return self._has(request, self.manage_permission) and (obj is None or self._visible(request, obj))

    def _visible(self, request, obj) -> bool:
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        actor = _actor(request)
        if actor is None:
            return qs.none()
        if self.org_field is None:
            return qs
        return actor.scope_queryset(qs, org_field=self.org_field, region_field=self.region_field)

    def save_model(self, request, obj, form, change):
        actor = _actor(request)
        if change:
            before = audit.snapshot(type(obj).objects.get(pk=obj.pk))
            super().save_model(request, obj, form, change)
            audit.updated(actor, obj, before)
        else:
            super().save_model(request, obj, form, change)
            audit.created(actor, obj)

    def delete_model(self, request, obj):
        before = audit.snapshot(obj)
        super().delete_model(request, obj)
        audit.deleted(_actor(request), obj, before)

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        rows = audit.history(obj)[:50]
        return format_html_join(
            "",
            "<div>{} · {} · {} · <code>{}</code></div>",
            (
                (r.at.strftime("%Y-%m-%d %H:%M"), r.actor or "-", r.get_action_display(),
                 ", ".join(sorted(r.changes)))
                for r in rows
            ),
        ) or "-"


@admin.register(Organization)
class OrganizationAdmin(SiagaModelAdmin):
    view_permission = "organization.view"
    manage_permission = "organization.manage"
    org_field = "pk"
    region_field = "region_code"
    list_display = ("name", "code", "kind", "region_code", "parent", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code", "region_code")
    readonly_fields = ("h3_cell", "created_at", "updated_at", "audit_trail")
    autocomplete_fields = ("parent",)


@admin.register(Membership)
class MembershipAdmin(SiagaModelAdmin):
    view_permission = "membership.manage"
    manage_permission = "membership.manage"
    list_display = ("user", "organization", "role", "scope_code", "active")
    list_filter = ("role", "active")
    search_fields = ("user__username", "organization__name", "scope_code")
    readonly_fields = ("created_at", "audit_trail")
    raw_id_fields = ("user", "organization")


class ReadOnlyAdminMixin:
    """For records that only a service or an importer writes (audit, outbox, regions)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "audit.view"
    list_display = ("at", "actor", "organization", "action", "model", "object_id", "object_repr")
    list_filter = ("action", "model")
    search_fields = ("object_id", "object_repr", "actor__username")
    readonly_fields = [f.name for f in AuditLog._meta.fields]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdminMixin, SiagaModelAdmin):
    view_permission = "audit.view"
    list_display = ("id", "type", "topic", "organization", "region_code", "created_at", "published_at")
    list_filter = ("topic", "type")
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]


@admin.register(ApiToken)
class ApiTokenAdmin(SiagaModelAdmin):
    view_permission = "membership.manage"
    manage_permission = "membership.manage"
    org_field = "membership__organization"
    list_display = ("name", "prefix", "membership", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("token_hash", "prefix", "created_at", "last_used_at")
    raw_id_fields = ("membership",)


@admin.register(User)
class SiagaUserAdmin(UserAdmin, SiagaModelAdmin):
    """Administrators see the users who hold a membership in their organisations."""

    view_permission = "membership.manage"
    manage_permission = "membership.manage"
    org_field = "memberships__organization"
    fieldsets = UserAdmin.fieldsets + ((_("Siaga"), {"fields": ("phone", "preferred_language")}),)

    def get_queryset(self, request):
        return SiagaModelAdmin.get_queryset(self, request).distinct()

    def has_change_permission(self, request, obj=None):
        # Only platform administrators may edit another user's staff/superuser flags.
        if obj is not None and (obj.is_superuser or obj.is_staff) and not request.user.is_superuser:
            return obj.pk == request.user.pk
        return SiagaModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        ro = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            ro += ["is_superuser", "is_staff", "groups", "user_permissions"]
        return ro


admin.site.site_header = _("Siaga back office")
admin.site.site_title = _("Siaga")
admin.site.index_title = _("Administration")
