"""Organisations, users, memberships, audit records, the event outbox and idempotency records."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    PMI_HQ = "pmi_hq", _("PMI headquarters")
    PMI_PROVINCE = "pmi_province", _("PMI province")
    PMI_BRANCH = "pmi_branch", _("PMI regency/city branch")
    BLOOD_UNIT = "udd", _("Blood donor unit (UDD)")
    CALL_CENTER_112 = "cc112", _("Call Center 112")
    PSC_119 = "psc119", _("Public Safety Center 119")
    BPBD = "bpbd", _("Regional disaster management agency (BPBD)")
    FIRE = "fire", _("Fire and rescue service (Damkar)")
    POLICE = "police", _("Police")
    HEALTH_OFFICE = "health_office", _("Health office (Dinkes)")
    SOCIAL_OFFICE = "social_office", _("Social office (Dinsos)")
    PUBLIC_WORKS = "public_works", _("Public works office (PUPR)")
    PLN = "pln", _("Electricity company (PLN)")
    OTHER_AGENCY = "agency", _("Other government agency (OPD)")
    GOVERNMENT = "government", _("Local government (Pemda)")
    HOSPITAL = "hospital", _("Hospital")
    PUSKESMAS = "puskesmas", _("Community health centre (puskesmas)")
    POSYANDU = "posyandu", _("Posyandu")
    DUKCAPIL = "dukcapil", _("Civil registration (Dukcapil)")


class Role(models.TextChoices):
    CALL_TAKER = "call_taker", _("Call-taker")
    DISPATCHER = "dispatcher", _("Dispatcher")
    AGENCY_LIAISON = "agency_liaison", _("Agency liaison")
    AMBULANCE_CREW = "ambulance_crew", _("Ambulance crew")
    BLOOD_BANK_OFFICER = "blood_bank_officer", _("Blood-bank officer")
    HOSPITAL_OFFICER = "hospital_officer", _("Hospital officer")
    DISASTER_MANAGER = "disaster_manager", _("Disaster manager")
    VOLUNTEER = "volunteer", _("Volunteer")
    KADER = "kader", _("Posyandu kader")
    HEALTH_WORKER = "health_worker", _("Health worker (puskesmas)")
    CIVIL_REGISTRATION_OFFICER = "civil_registration_officer", _("Civil-registration officer")
    LEADER = "leader", _("Leader (read-only dashboards)")
    ADMINISTRATOR = "administrator", _("Administrator")


class User(AbstractUser):
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="id"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Organization(models.Model):
    """A tenant: every tenant-owned row points at one."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Kemendagri code of the area the organisation serves ("" = national).
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    # True when the position is a stand-in (e.g. the kelurahan centroid), not a surveyed point.
    location_approximate = models.BooleanField(_("approximate location"), default=False)
    h3_cell = models.CharField(max_length=16, blank=True, db_index=True)
    # Kind-specific facts from their source (hospital class, beds, Kemenkes code), kept with the source named.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def ancestor_ids(self):
        ids, node = [], self.parent
        while node is not None:
            ids.append(node.pk)
            node = node.parent
        return ids


class Membership(models.Model):
    """A user's role in one organisation, limited to a geographic scope."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    # Kemendagri code (province "35" or kab/kota "35.76"); "" means national.
    scope_code = models.CharField(_("geographic scope"), max_length=13, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="uniq_membership_role"),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.organization}"


class AuditLog(models.Model):
    """Who changed what, when, on behalf of which organisation; written by the services layer."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")
        # An attempt the services refused (an incompatible blood unit, a unit issued twice): kept for review.
        REFUSED = "refused", _("refused")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    model = models.CharField(max_length=100, db_index=True)  # "app_label.model"
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200)
    # {"field": [before, after]}
    changes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.model}#{self.object_id}"


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it announces; its id is the SSE event id."""

    type = models.CharField(max_length=80, db_index=True)
    topic = models.CharField(max_length=40, db_index=True)
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region_code = models.CharField(max_length=13, blank=True)
    # Other organisations explicitly given sight of this event (a referral, a mutual-aid request).
    shared_with = models.JSONField(default=list, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("event outbox")
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.type}"


class IdempotencyRecord(models.Model):
    """The stored answer to a write, replayed when a client retries it with the same Idempotency-Key."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(blank=True, default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key")]


class ApiToken(models.Model):
    """A bearer token for a device or another system, acting as one membership."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The permissions this token may use, a subset of its membership's role (empty: all of them, for tokens
    # issued before scopes existed and for tests). A token past expires_at is refused like a revoked one.
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Rotation: the token this one replaced (kept working until its grace period ends).
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class LoginAttempt(models.Model):
    """One password check at the login form, kept for throttling, lockout and the security review."""

    username = models.CharField(max_length=150, db_index=True)  # as typed, lower-cased
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)
    # Why a failure failed: wrong password, locked (refused before checking), or a wrong second-factor code.
    reason = models.CharField(max_length=12, blank=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        indexes = [models.Index(fields=["username", "at"]), models.Index(fields=["ip", "at"])]


class TotpDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238): asked for a code after the password once confirmed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step a code was accepted for: a code is never accepted twice.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")


class PersonalDataAccess(models.Model):
    """Who opened which personal record, and who revealed a masked field (UU 27/2022: processing is accountable)."""

    class Kind(models.TextChoices):
        VIEW = "view", _("viewed")
        REVEAL = "reveal", _("revealed")
        EXPORT = "export", _("exported")

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    model = models.CharField(max_length=100, db_index=True)  # "app_label.model"
    object_id = models.CharField(max_length=64, db_index=True)
    fields = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    # Through which door: a page path or an API path, and a device token's id when a token was used.
    via = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"]), models.Index(fields=["user", "at"])]
