"""Dispatch records: stations, units and crews, duty rosters, dispatches with their status history, positions,
hospital capacity and cross-organisation unit requests."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from siaga.core.models import Organization


class StationKind(models.TextChoices):
    PMI = "pmi", _("PMI post")
    PSC_119 = "psc119", _("PSC 119 post")
    HOSPITAL = "hospital", _("Hospital")
    FIRE = "fire", _("Fire station")
    BPBD = "bpbd", _("BPBD post")
    PRIVATE = "private", _("Private")


class Station(models.Model):
    """A post where units stand by (a PMI headquarters, a PSC 119 post, a hospital, a fire station)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="stations")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=StationKind.choices)
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["organization_id", "name"]

    def __str__(self):
        return self.name


class UnitKind(models.TextChoices):
    AMBULANCE_BASIC = "ambulance_basic", _("Ambulance (basic life support)")
    AMBULANCE_ADVANCED = "ambulance_advanced", _("Ambulance (advanced life support)")
    PATIENT_TRANSPORT = "patient_transport", _("Patient transport")
    FIRE_ENGINE = "fire_engine", _("Fire engine")
    RESCUE = "rescue", _("Rescue unit")
    MOTORCYCLE = "motorcycle", _("Motorcycle responder")


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ALERTED = "alerted", _("Alerted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    TRANSPORTING = "transporting", _("Transporting")
    AT_HOSPITAL = "at_hospital", _("At hospital")
    HANDOVER_DONE = "handover_done", _("Hand-over done")
    RETURNING = "returning", _("Returning")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


class Unit(models.Model):
    """A vehicle (or motorcycle) with its crew; dispatchable when available, crewed and in service."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="units")
    # Another organisation whose dispatchers send this unit directly under a standing agreement (e.g. PMI
    # ambulances dispatched by the city's PSC 119); anyone else must request it.
    dispatch_center = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="dispatched_units")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="units")
    call_sign = models.CharField(_("call sign"), max_length=40)
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind.choices)
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    plate_number = models.CharField(_("plate number"), max_length=20, blank=True)
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    # Offered to other organisations' dispatchers for requests across regions (mutual aid).
    mutual_aid = models.BooleanField(_("offered for mutual aid"), default=False)
    # Crewed without a roster (a unit whose crew is always aboard); otherwise a shift must cover it.
    always_crewed = models.BooleanField(_("crewed without a roster"), default=False)
    active = models.BooleanField(_("active"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE,
                              db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    current_dispatch = models.ForeignKey("Dispatch", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+")
    # Latest accepted position (the track lives in PositionReport) and its snapped road position.
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    position_at = models.DateTimeField(null=True, blank=True)
    speed_kmh = models.FloatField(null=True, blank=True)
    heading_deg = models.FloatField(null=True, blank=True)
    snapped_lat = models.FloatField(null=True, blank=True)
    snapped_lng = models.FloatField(null=True, blank=True)
    snap_m = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["organization_id", "call_sign"]
        constraints = [models.UniqueConstraint(fields=["organization", "call_sign"], name="unit_call_sign_per_org")]

    def __str__(self):
        return self.call_sign


class CrewQualification(models.TextChoices):
    DRIVER = "driver", _("Driver")
    NURSE = "nurse", _("Nurse")
    PARAMEDIC = "paramedic", _("Paramedic")
    DOCTOR = "doctor", _("Doctor")
    FIREFIGHTER = "firefighter", _("Firefighter")
    RESCUER = "rescuer", _("Rescuer")


class CrewMember(models.Model):
    """A person who can be rostered: a driver, nurse, doctor...; linked to a user when they sign in."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="crew_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="crew_memberships")
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    qualifications = models.JSONField(_("qualifications"), default=list, blank=True)
    region_code = models.CharField(_("region"), max_length=13, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("crew member")
        verbose_name_plural = _("crew members")
        ordering = ["organization_id", "name"]

    def __str__(self):
        return self.name


class Shift(models.Model):
    """One slot of a duty roster: a role on a unit (or at a facility) for a time; no member = uncovered."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="shifts")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="shifts")
    station = models.ForeignKey(Station, null=True, blank=True, on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(_("role"), max_length=20, choices=CrewQualification.choices)
    member = models.ForeignKey(CrewMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts")
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), db_index=True)
    region_code = models.CharField(max_length=13, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "pk"]


class DispatchStatus(models.TextChoices):
    ALERTED = "alerted", _("Alerted")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    TRANSPORTING = "transporting", _("Transporting")
    AT_HOSPITAL = "at_hospital", _("At hospital")
    HANDOVER_DONE = "handover_done", _("Hand-over done")
    RETURNING = "returning", _("Returning")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    DIVERTED = "diverted", _("Diverted to another incident")
    REASSIGNED = "reassigned", _("Reassigned to another unit")


class Dispatch(models.Model):
    """A unit sent to an incident; counts once its crew acknowledges. Every status keeps its own timestamp."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="dispatches")
    incident = models.ForeignKey("callcenter.Incident", on_delete=models.PROTECT, related_name="dispatches")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="dispatches")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=DispatchStatus.choices, default=DispatchStatus.ALERTED,
                              db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    alerted_at = models.DateTimeField()
    ack_deadline_at = models.DateTimeField(db_index=True)
    ack_alarm_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    transporting_at = models.DateTimeField(null=True, blank=True)
    at_hospital_at = models.DateTimeField(null=True, blank=True)
    handover_done_at = models.DateTimeField(null=True, blank=True)
    returning_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # Divert and reassign link the dispatch that replaced this one.
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces")
    destination = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="incoming_dispatches")
    # The recommendation at the moment of dispatch, kept for evaluation.
    eta_seconds = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    eta_estimate = models.BooleanField(default=False)
    unit_request = models.ForeignKey("UnitRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="dispatches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-alerted_at", "-pk"]
        constraints = [
            # One live dispatch per unit: the database refuses a second, whatever two dispatchers click.
            models.UniqueConstraint(
                fields=["unit"], name="one_live_dispatch_per_unit",
                condition=models.Q(status__in=["alerted", "acknowledged", "en_route", "on_scene", "transporting",
                                               "at_hospital", "handover_done"])),
        ]


class StatusChange(models.Model):
    """One status step of a unit (with or without a dispatch): device time, server time and who sent it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="status_changes")
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="status_changes")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField(db_index=True)  # when it happened (the device's clock, checked)
    received_at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # A phone's own id for a queued change: a replay of the same change is answered, not applied twice.
    client_id = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "client_id"], name="status_change_client_id_once",
                                    condition=~models.Q(client_id="")),
        ]


class PositionSource(models.TextChoices):
    PHONE = "phone", _("Crew phone")
    TRACKER = "tracker", _("Vehicle tracker")
    MANUAL = "manual", _("Entered by hand")


class PositionReport(models.Model):
    """One point of a unit's track; out-of-order points join the track without moving the unit back."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="positions")
    lat = models.FloatField()
    lng = models.FloatField()
    measured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    accuracy_m = models.FloatField(null=True, blank=True)
    speed_kmh = models.FloatField(null=True, blank=True)
    heading_deg = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=PositionSource.choices, default=PositionSource.PHONE)
    # Who sent it: the crew member's user, or the user a tracker's device token belongs to.
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    # Why the point was not trusted (an impossible jump); flagged points stay in the track but never move the unit.
    flag = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["unit_id", "measured_at"]
        constraints = [models.UniqueConstraint(fields=["unit", "measured_at"], name="one_position_per_unit_instant")]
        indexes = [models.Index(fields=["unit", "-measured_at"], name="position_unit_latest")]


class HospitalCapacity(models.Model):
    """A hospital's capacity right now, kept by its staff or its system; history is in the audit trail."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="capacity")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    accepting = models.BooleanField(_("accepting patients"), default=True)
    emergency_beds_total = models.PositiveIntegerField(_("emergency beds"), default=0)
    emergency_beds_free = models.PositiveIntegerField(_("emergency beds free"), default=0)
    icu_beds_total = models.PositiveIntegerField(_("ICU beds"), default=0)
    icu_beds_free = models.PositiveIntegerField(_("ICU beds free"), default=0)
    operating_theatres_total = models.PositiveIntegerField(_("operating theatres"), default=0)
    operating_theatres_free = models.PositiveIntegerField(_("operating theatres free"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("hospital capacity")
        verbose_name_plural = _("hospital capacities")


class UnitRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class UnitRequest(models.Model):
    """One organisation asks another for a unit for one of its incidents; accepted, the unit is dispatched."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="unit_requests_made")
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="unit_requests_received")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="requests")
    incident = models.ForeignKey("callcenter.Incident", on_delete=models.PROTECT, related_name="unit_requests")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=UnitRequestStatus.choices, default=UnitRequestStatus.REQUESTED,
                              db_index=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField()
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    response_note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("unit request")
        verbose_name_plural = _("unit requests")
        ordering = ["-requested_at", "-pk"]
