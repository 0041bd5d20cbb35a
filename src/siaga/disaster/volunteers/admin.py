"""Volunteers: admin, read-only and scoped like the API (registration checks NIK, phone and duplicates: use the
page or the API, which write through the services)."""

from django.contrib import admin

from siaga.core.admin import SiagaModelAdmin

from .models import Certificate, MatchCandidate, Skill, Volunteer


class ReadOnly(SiagaModelAdmin):
    view_permission = "volunteer.view"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Skill)
class SkillAdmin(ReadOnly):
    org_field = None  # reference data
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnly):
    region_field = "region_code"
    list_display = ("name", "organization", "region_code", "status", "nik_masked", "active", "merged_into")
    list_filter = ("status", "active")
    search_fields = ("name", "name_key", "phone", "region_code")
    exclude = ("nik_hash",)


@admin.register(Certificate)
class CertificateAdmin(ReadOnly):
    org_field = "volunteer__organization"
    region_field = "volunteer__region_code"
    list_display = ("name", "volunteer", "kind", "skill", "issued_on", "expires_on")
    list_filter = ("kind", "skill")
    search_fields = ("name", "volunteer__name", "issuer")


@admin.register(MatchCandidate)
class MatchCandidateAdmin(ReadOnly):
    org_field = "volunteer__organization"
    region_field = "volunteer__region_code"
    list_display = ("volunteer", "other", "score", "status", "created_at")
    list_filter = ("status",)
