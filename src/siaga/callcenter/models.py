"""Calls (one contact each), incidents (what happened), the triage taxonomy, referrals to agencies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from siaga.core.models import Organization


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 life-threatening")
    P2 = 2, _("P2 urgent")
    P3 = 3, _("P3 less urgent")
    P4 = 4, _("P4 non-urgent")


class PriorityPolicy(models.Model):
    """Targets per priority: how fast help must arrive and how fast an agency must acknowledge."""

    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, unique=True)
    response_target_minutes = models.PositiveIntegerField(_("response-time target (minutes)"))
    ack_deadline_minutes = models.PositiveIntegerField(_("agency acknowledgement deadline (minutes)"))
    # After the first escalation, how long before the call-center supervisor is told.
    escalate_again_minutes = models.PositiveIntegerField(_("second escalation after (minutes)"), default=5)

    class Meta:
        verbose_name = _("priority policy")
        verbose_name_plural = _("priority policies")
        ordering = ["priority"]

    def __str__(self):
        return self.get_priority_display()


class IncidentType(models.Model):
    """One entry of the triage taxonomy (admin-editable, seeded in Bahasa Indonesia)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.CharField(_("category"), max_length=60)
    default_priority = models.PositiveSmallIntegerField(_("default priority"), choices=Priority.choices)
    # [{"id": "sadar", "text": "Apakah korban tidak sadar?", "if_yes": 1}] - a "yes" raises priority to if_yes.
    key_questions = models.JSONField(_("key questions"), default=list, blank=True)
    # Organisation kinds responsible by default (OrgKind values), resolved per region by routing rules.
    default_agency_kinds = models.JSONField(_("agencies responsible by default"), default=list, blank=True)
    # What a responding unit must be able to do (used by dispatch): "ambulance", "fire", "rescue"...
    needs_capability = models.CharField(_("capability needed"), max_length=40, blank=True)
    keywords = models.CharField(_("search keywords"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WEB = "web", _("Web")
    APP = "app", _("App")


class CallOutcome(models.TextChoices):
    NEW_INCIDENT = "new_incident", _("New incident")
    ATTACHED = "attached", _("Attached to an existing incident")
    INFORMATION = "information", _("Information only")
    PRANK = "prank", _("Prank")
    SILENT = "silent", _("Silent")
    ACCIDENTAL = "accidental", _("Accidental")
    TEST = "test", _("Test")


NUISANCE_OUTCOMES = (CallOutcome.PRANK, CallOutcome.SILENT, CallOutcome.ACCIDENTAL)


class LocationSource(models.TextChoices):
    AML = "aml", _("Advanced Mobile Location")
    LINK = "link", _("Location link (phone GPS)")
    MAP = "map", _("Clicked on the map")
    COORDINATES = "coordinates", _("Coordinates typed")
    REGION = "region", _("Kelurahan centroid")
    ADDRESS = "address", _("Address or landmark")
    REPORTER = "reporter", _("Public report GPS")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    REFERRED = "referred", _("Referred to agencies")
    IN_PROGRESS = "in_progress", _("Help on the way")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged into another incident")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.REFERRED, IncidentStatus.IN_PROGRESS)


class Incident(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="incidents")
    # "112-2026-000123": unique per organisation, drawn from IncidentCounter (safe under concurrency).
    number = models.CharField(_("number"), max_length=32)
    type = models.ForeignKey(IncidentType, on_delete=models.PROTECT, related_name="incidents")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    suggested_priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    priority_override_reason = models.CharField(max_length=300, blank=True)
    answers = models.JSONField(default=dict, blank=True)  # key question id -> bool
    status = models.CharField(_("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW,
                              db_index=True)
    description = models.TextField(_("description"), blank=True)
    address = models.CharField(_("address or landmark"), max_length=300, blank=True)
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    h3_cell = models.CharField(max_length=16, blank=True, db_index=True)
    location_source = models.CharField(max_length=20, choices=LocationSource.choices, blank=True)
    location_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    # Public tracking link for citizens' reports: shows status, nothing private.
    tracking_token = models.CharField(max_length=40, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when the incident reaches a final status (closed, cancelled or merged).
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="uniq_incident_number")]

    def __str__(self):
        return f"{self.number} {self.type}"


class IncidentCounter(models.Model):
    """The last incident number handed out per organisation and year (row-locked while numbering)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "year"], name="uniq_incident_counter")]


class Call(models.Model):
    """One contact (phone call, SMS, web or app report), with timestamps recorded by the system."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="calls")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    caller_number = models.CharField(_("caller number"), max_length=20, blank=True, db_index=True)  # E.164
    started_at = models.DateTimeField(db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices, blank=True, db_index=True)
    outcome_reason = models.CharField(_("reason"), max_length=300, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)  # when the call was closed with its outcome
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="calls")
    # The caller's nuisance record when the call started: shown as a warning, never a reason to drop the call.
    caller_flagged = models.BooleanField(default=False)
    caller_policy = models.CharField(max_length=20, blank=True)
    region_code = models.CharField(max_length=13, blank=True)
    # Client-supplied key of the report (public web/app/SMS) so a retry cannot create a second call.
    external_id = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["organization", "caller_number", "started_at"])]
        constraints = [
            models.UniqueConstraint(fields=["organization", "channel", "external_id"],
                                    condition=~models.Q(external_id=""), name="uniq_call_external_id"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.caller_number} {self.started_at:%Y-%m-%d %H:%M}"


class Position(models.Model):
    """A caller or incident position with where it came from and how accurate it is."""

    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.CASCADE, related_name="positions")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="positions")
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=LocationSource.choices)
    measured_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]


class LocationLink(models.Model):
    """A one-time link texted to a caller; its page posts the phone's GPS position back."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="location_links")
    token = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)


class CallerNumber(models.Model):
    """Per-number history at one call center: how many calls and how many were nuisance."""

    class Policy(models.TextChoices):
        NONE = "none", _("None")
        WARN = "warn", _("Warn the call-taker")
        SUPERVISOR = "supervisor", _("Supervisor must close the call")
        SMS_WARNING = "sms_warning", _("Send an SMS warning")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=20)
    total_calls = models.PositiveIntegerField(default=0)
    nuisance_calls = models.PositiveIntegerField(default=0)
    last_call_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    flagged_at = models.DateTimeField(null=True, blank=True)
    policy = models.CharField(max_length=20, choices=Policy.choices, default=Policy.NONE)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("caller number")
        verbose_name_plural = _("caller numbers")
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="uniq_caller_number")]

    def __str__(self):
        return self.number


class TimelineEntry(models.Model):
    """What happened to an incident, in order, with who did it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


class RoutingRule(models.Model):
    """Incident type x region -> agency: applied automatically when an incident is created."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="routing_rules")
    incident_type = models.ForeignKey(IncidentType, null=True, blank=True, on_delete=models.CASCADE,
                                      related_name="routing_rules")  # None = every type
    region_prefix = models.CharField(max_length=13, blank=True)  # "" = the whole area of the call center
    agency = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")


class ReferralStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    COMMITTED = "committed", _("Resources committed")
    CLOSED = "closed", _("Closed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class Referral(models.Model):
    """An incident handed to one agency, which must answer by a deadline (the EDXL-RM request idea)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="referrals")
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.REQUESTED,
                              db_index=True)
    requested_at = models.DateTimeField()
    ack_deadline = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resources = models.CharField(max_length=300, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [models.UniqueConstraint(fields=["incident", "agency"], name="uniq_referral_agency")]


# --- engineer B: SMS ---
# Outbound and inbound SMS, Advanced Mobile Location reports, public-report photos and rate-limit hits.


class OutboundSms(models.Model):
    """Every text message Siaga sends, kept whatever the gateway does with it (tests and the UI read it here)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    to_number = models.CharField(_("to"), max_length=20, db_index=True)  # E.164
    text = models.TextField(_("text"))
    # What the message is for: "location_link", "nuisance_warning", "report_received", ...
    kind = models.CharField(_("kind"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    gateway_ref = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("outbound SMS")
        verbose_name_plural = _("outbound SMS")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.to_number} {self.kind} {self.status}"


class InboundSms(models.Model):
    """A text received through the SMS gateway webhook, with the call it became (the text lives here)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        AML = "aml", _("Advanced Mobile Location")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # The gateway's message id: a retried delivery carries the same one.
    gateway_id = models.CharField(max_length=100, blank=True)
    from_number = models.CharField(max_length=20, db_index=True)
    to_number = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORT)
    received_at = models.DateTimeField(db_index=True)
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_sms")

    class Meta:
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "gateway_id"], condition=~models.Q(gateway_id=""),
                                    name="uniq_inbound_sms_gateway_id"),
        ]


class AmlReport(models.Model):
    """One Advanced Mobile Location message (ETSI TR 103 393) as received, and the call it was attached to.

    A phone sends AML within seconds of dialling, sometimes before a call-taker has started the
    call record: such a report waits here (call empty) and is claimed by the caller's next call.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    caller_number = models.CharField(max_length=20, db_index=True)  # E.164
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    confidence_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    method = models.CharField(max_length=1, blank=True)  # G GNSS, W Wi-Fi, C cell, N none
    measured_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    raw = models.TextField(blank=True)
    external_id = models.CharField(max_length=100, blank=True)  # the SMS gateway's message id
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="aml_reports")
    position = models.ForeignKey(Position, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("AML report")
        verbose_name_plural = _("AML reports")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "external_id"], condition=~models.Q(external_id=""),
                                    name="uniq_aml_external_id"),
        ]


class ReportPhoto(models.Model):
    """A photo sent with a public report: stored under VAR_DIR/uploads with a random name, never served publicly."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="photos")
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    path = models.CharField(max_length=200)  # relative to settings.VAR_DIR / "uploads"
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()


class RateLimitHit(models.Model):
    """One counted request in a rate-limit bucket; kept in the database so every process sees the same counts."""

    bucket = models.CharField(max_length=150)  # "report:number:+6281234567890", "report:ip:203.0.113.5"
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["bucket", "at"])]
