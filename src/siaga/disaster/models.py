"""Disaster response records: disaster events and their timeline, early warnings (CAP), affected areas, feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DisasterGroup(models.TextChoices):
    # UU 24/2007 and Perka BNPB 8/2011 group every disaster type into one of these three.
    NATURAL = "natural", _("Natural disaster")
    NON_NATURAL = "non_natural", _("Non-natural disaster")
    SOCIAL = "social", _("Social disaster")


class DisasterType(models.Model):
    """A disaster category of Perka BNPB 8/2011 (data, seeded by a migration; admins may add more)."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name_id = models.CharField(_("name (Indonesian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    group = models.CharField(_("group"), max_length=20, choices=DisasterGroup.choices)
    # CAP <category> values (Geo, Met, Fire, ...) whose warnings usually announce this type.
    cap_categories = models.JSONField(_("CAP categories"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("disaster type")
        verbose_name_plural = _("disaster types")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name_id


class Phase(models.TextChoices):
    WARNING = "warning", _("Warning (siaga darurat)")
    EMERGENCY_RESPONSE = "emergency_response", _("Emergency response (tanggap darurat)")
    TRANSITION = "transition", _("Transition to recovery (transisi darurat)")
    RECOVERY = "recovery", _("Recovery (pemulihan)")
    CLOSED = "closed", _("Closed")


# Phases move forward; an event may skip a phase (an earthquake starts in emergency response) but not go back,
# except that a closed event may be reopened into recovery by its lead.
PHASE_ORDER = [Phase.WARNING, Phase.EMERGENCY_RESPONSE, Phase.TRANSITION, Phase.RECOVERY, Phase.CLOSED]


class DisasterEvent(models.Model):
    """One disaster (a flood, an earthquake) with the organisations that respond to it."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="disaster_events",
                                     verbose_name=_("lead organisation"))
    # Deepest region containing every affected region ("" when they span provinces).
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.ForeignKey(DisasterType, on_delete=models.PROTECT, related_name="events", verbose_name=_("type"))
    phase = models.CharField(_("phase"), max_length=24, choices=Phase.choices, default=Phase.WARNING, db_index=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    affected_region_codes = models.JSONField(_("affected regions"), default=list, blank=True)
    participants = models.ManyToManyField("core.Organization", blank=True, related_name="disaster_participations",
                                          verbose_name=_("participating organisations"))
    warnings = models.ManyToManyField("Warning", blank=True, related_name="events", verbose_name=_("warnings"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("disaster event")
        verbose_name_plural = _("disaster events")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return self.name


class TimelineEntry(models.Model):
    """One line of an event's timeline: a phase change, a decision, a report; written by services only."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        PHASE = "phase", _("Phase change")
        WARNING = "warning", _("Warning linked")
        PARTICIPANT = "participant", _("Organisation joined")
        CREATED = "created", _("Event created")

    event = models.ForeignKey(DisasterEvent, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(_("text"))
    data = models.JSONField(default=dict, blank=True)
    organization = models.ForeignKey("core.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("organisation"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("author"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class WarningSource(models.TextChoices):
    BMKG_CAP = "bmkg_cap", _("BMKG weather warning (CAP)")
    BMKG_QUAKE = "bmkg_quake", _("BMKG earthquake")
    OWN = "own", _("Our own alert (CAP)")


class Warning(models.Model):
    """An early warning: a BMKG CAP alert, a BMKG earthquake report, or a CAP alert we author ourselves.

    BMKG warnings are public reference data (organization None); our own alerts belong to the organisation
    that wrote them and go draft -> approved (by a second person) -> published.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        RECEIVED = "received", _("Received")  # every warning that came from a feed

    source = models.CharField(_("source"), max_length=20, choices=WarningSource.choices, db_index=True)
    organization = models.ForeignKey("core.Organization", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="own_warnings", verbose_name=_("organisation"))
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.RECEIVED, db_index=True)
    # CAP <alert> header
    identifier = models.CharField(_("identifier"), max_length=200)
    sender = models.CharField(_("sender"), max_length=200)
    sent = models.DateTimeField(_("sent"), db_index=True)
    status = models.CharField(_("status"), max_length=12, default="Actual")
    msg_type = models.CharField(_("message type"), max_length=12, default="Alert")
    scope = models.CharField(_("scope"), max_length=12, default="Public")
    references = models.JSONField(_("references"), default=list, blank=True)  # [[sender, identifier, sent], ...]
    # CAP <info> (the first one of each language is kept in the *_id / *_en columns)
    category = models.CharField(_("category"), max_length=20, blank=True)
    event = models.CharField(_("event"), max_length=200, blank=True)
    urgency = models.CharField(_("urgency"), max_length=12, blank=True)
    severity = models.CharField(_("severity"), max_length=12, blank=True)
    certainty = models.CharField(_("certainty"), max_length=12, blank=True)
    effective = models.DateTimeField(_("effective"), null=True, blank=True)
    onset = models.DateTimeField(_("onset"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    sender_name = models.CharField(_("sender name"), max_length=200, blank=True)
    headline_id = models.CharField(_("headline (Indonesian)"), max_length=300, blank=True)
    headline_en = models.CharField(_("headline (English)"), max_length=300, blank=True)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    instruction_id = models.TextField(_("instruction (Indonesian)"), blank=True)
    instruction_en = models.TextField(_("instruction (English)"), blank=True)
    web = models.CharField(_("web"), max_length=500, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    # Every <info> as parsed (language, texts, parameters, event codes), for what the columns do not hold.
    infos = models.JSONField(default=list, blank=True)
    # [{"desc": "Banten", "polygons": [[[lon, lat], ...]], "circles": [[lat, lon, km]], "geocodes": {...}}]
    areas = models.JSONField(_("areas"), default=list, blank=True)
    # The union of every area as a GeoJSON (Multi)Polygon, lon/lat, after repair; None without geometry.
    geometry = models.JSONField(null=True, blank=True)
    geometry_repaired = models.BooleanField(_("geometry repaired"), default=False)
    geometry_notes = models.JSONField(default=list, blank=True)
    # Earthquake facts (source bmkg_quake): magnitude, depth_km, lat, lng, felt, tsunami, shakemap id
    quake = models.JSONField(null=True, blank=True)
    raw = models.TextField(_("raw message"), blank=True)  # the XML or JSON exactly as received
    raw_format = models.CharField(max_length=8, default="xml")
    feed_source = models.ForeignKey("FeedSource", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="warnings")
    # Our own alerts: who wrote and who approved (a second person).
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("author"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # The Update or Cancel message that replaced this one (CAP <references>); None while it stands.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("superseded by"))
    affected_computed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-sent", "-id"]
        constraints = [
            # CAP 1.2: sender + identifier + sent name one message; a repeat of it is a duplicate.
            models.UniqueConstraint(fields=["sender", "identifier", "sent"], name="uniq_warning_cap_key"),
        ]

    def __str__(self):
        return self.headline_id or self.headline_en or self.event or self.identifier

    @property
    def headline(self) -> str:
        return self.headline_id or self.headline_en or self.event

    @property
    def is_public_reference(self) -> bool:
        return self.source != WarningSource.OWN


class AffectedArea(models.Model):
    """A region (kecamatan or kelurahan) hit by a warning or an event, with the share of its area covered."""

    warning = models.ForeignKey(Warning, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="affected_areas")
    event = models.ForeignKey(DisasterEvent, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="affected_areas")
    region_code = models.CharField(_("region code"), max_length=13, db_index=True)
    level = models.PositiveSmallIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=120, blank=True)
    # Share of the region's area inside the warning's area (0..1).
    share = models.FloatField(_("share of area covered"))
    # Share of the warning's area that lies in this region (0..1): tells a real hit from a sliver.
    warning_share = models.FloatField(_("share of the warning area"), default=0.0)
    area_km2 = models.FloatField(_("area covered (km²)"), default=0.0)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # population × share, assuming people spread evenly over the region.
    population_affected = models.PositiveIntegerField(_("people in the covered part"), null=True, blank=True)

    class Meta:
        verbose_name = _("affected area")
        verbose_name_plural = _("affected areas")
        ordering = ["region_code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(share__gte=0) & models.Q(share__lte=1),
                                   name="affected_share_0_1"),
            models.CheckConstraint(condition=models.Q(warning__isnull=False) | models.Q(event__isnull=False),
                                   name="affected_has_owner"),
            models.UniqueConstraint(fields=["warning", "region_code"], name="uniq_affected_warning_region"),
            models.UniqueConstraint(fields=["event", "region_code"], name="uniq_affected_event_region"),
        ]

    def __str__(self):
        return f"{self.region_code} {self.share:.0%}"


class FeedSource(models.Model):
    """A feed polled by huey: a BMKG nowcast RSS index, an earthquake JSON, or a ShakeMap grid URL."""

    class Kind(models.TextChoices):
        CAP_RSS = "cap_rss", _("CAP alerts via an RSS index")
        CAP = "cap", _("A single CAP alert")
        QUAKE_JSON = "quake_json", _("BMKG earthquake JSON (autogempa, gempaterkini, gempadirasakan)")
        SHAKEMAP = "shakemap", _("ShakeMap grid.xml")

    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("URL"), max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=300)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_ok_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_new_items = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("feed source")
        verbose_name_plural = _("feed sources")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FeedItemError(models.Model):
    """The dead-letter list: a feed item that was malformed or a duplicate, kept with the reason for review."""

    class Reason(models.TextChoices):
        MALFORMED = "malformed", _("Malformed")
        DUPLICATE = "duplicate", _("Duplicate")
        GEOMETRY = "geometry", _("Unusable geometry")
        FETCH = "fetch", _("Could not be fetched")

    source = models.CharField(_("source"), max_length=200)  # feed name or file name
    feed_source = models.ForeignKey(FeedSource, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="errors")
    kind = models.CharField(_("kind"), max_length=20, blank=True)  # cap, quake_json, shakemap, rss
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    error = models.TextField(_("error"))
    payload = models.TextField(_("raw payload"), blank=True)
    # A duplicate points at the warning it repeats.
    warning = models.ForeignKey(Warning, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    reviewed = models.BooleanField(_("reviewed"), default=False, db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("feed item error")
        verbose_name_plural = _("feed item errors (dead letters)")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.source}: {self.get_reason_display()}"


class Notification(models.Model):
    """A notice to one organisation that a warning hits its area (the live event tells who is online)."""

    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="disaster_notices")
    region_code = models.CharField(max_length=13, blank=True)
    warning = models.ForeignKey(Warning, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    # Region codes of this organisation's area that the warning hits.
    region_codes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")

    class Meta:
        verbose_name = _("disaster notification")
        verbose_name_plural = _("disaster notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "warning"], name="uniq_notice_org_warning")]

    def __str__(self):
        return self.title


class FigureSource(models.TextChoices):
    PMI = "pmi", _("PMI")
    GOVERNMENT = "government", _("Government (BPBD, BNPB, local government)")
    OTHER = "other", _("Other")


class NeedsReport(models.Model):
    """Displaced and affected people in one kelurahan as reported at a time; the figures keep their source.

    The latest report per kelurahan (by reported_at) feeds the needs estimate; older ones stay as history.
    """

    event = models.ForeignKey(DisasterEvent, on_delete=models.CASCADE, related_name="needs_reports",
                              verbose_name=_("disaster event"))
    # The organisation that reported the figures (the reporter's); the event's lead and participants see them.
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("reporting organisation"))
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    displaced = models.PositiveIntegerField(_("displaced people"))
    affected = models.PositiveIntegerField(_("affected people"))
    source = models.CharField(_("source of the figures"), max_length=12, choices=FigureSource.choices)
    source_note = models.CharField(_("source details"), max_length=300, blank=True)
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("reporter"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("needs report")
        verbose_name_plural = _("needs reports")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(displaced__lte=models.F("affected")),
                                   name="needs_displaced_within_affected"),
        ]
        indexes = [models.Index(fields=["event", "region_code", "-reported_at"], name="needs_event_region_latest")]

    def __str__(self):
        return f"{self.region_code} {self.displaced}/{self.affected}"
