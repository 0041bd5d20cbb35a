"""Mutual aid records: a request from one organisation (the borrower) to another (the lender), the lines it asks
for, the concrete resources the lender chose to lend, the letters attached, and the history of its states.

One request is one record from "requested" to "returned" (or "consumed" for items). The borrower owns the row
(`organization`); the lender sees it because it is named on it (`lender`): the sharing is this record, not a
loophole. Both sides' areas are stored so each side's geographically scoped users find it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    DISPATCHED = "dispatched", _("Dispatched")
    ARRIVED = "arrived", _("Arrived")
    RELEASED = "released", _("Released")
    RETURNED = "returned", _("Returned")
    CONSUMED = "consumed", _("Consumed")


# While a request is in one of these states the borrower may use what was lent (see grants.py).
ACTIVE_STATES = (State.ACCEPTED, State.DISPATCHED, State.ARRIVED)
FINAL_STATES = (State.DECLINED, State.CANCELLED, State.RETURNED, State.CONSUMED)


class Side(models.TextChoices):
    BORROWER = "borrower", _("Requesting organisation")
    LENDER = "lender", _("Lending organisation")


class LineKind(models.TextChoices):
    VOLUNTEERS = "volunteers", _("Volunteers")
    AMBULANCE = "ambulance", _("Ambulance")
    VEHICLE = "vehicle", _("Vehicle")
    ITEMS = "items", _("Relief items")


class MutualAidRequest(models.Model):
    """One request for help across organisations (usually provinces), from request to return."""

    # The borrower: the organisation asking for help. It owns the row.
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="mutual_aid_requests",
                                     verbose_name=_("requesting organisation"))
    lender = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="mutual_aid_offers",
                               verbose_name=_("lending organisation"))
    event = models.ForeignKey("disaster.DisasterEvent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="mutual_aid_requests", verbose_name=_("disaster event"))
    # Destination (where the help is needed): a Kemendagri code inside the borrower's area, and an optional point.
    region_code = models.CharField(_("destination region"), max_length=13, db_index=True)
    destination = models.CharField(_("destination (address or post)"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # The lender's area when the request was made, so a lender's user scoped to its province finds it.
    lender_region_code = models.CharField(_("lender region"), max_length=13, blank=True, db_index=True)
    needed_from = models.DateTimeField(_("needed from"))
    needed_until = models.DateTimeField(_("needed until"), null=True, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.REQUESTED, db_index=True)
    # A token the borrower's form or client sends once: a repeated submit finds the first request, not a second.
    client_ref = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    consumed_at = models.DateTimeField(_("consumed at"), null=True, blank=True)
    decision_note = models.CharField(_("answer of the lender"), max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("mutual aid request")
        verbose_name_plural = _("mutual aid requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "client_ref"], condition=~Q(client_ref=""),
                                    name="mutualaid_client_ref_per_org"),
            models.CheckConstraint(condition=~Q(organization=models.F("lender")), name="mutualaid_not_self"),
        ]
        indexes = [models.Index(fields=["lender", "state"], name="mutualaid_lender_state")]

    def __str__(self):
        return f"#{self.pk} {self.organization_id}->{self.lender_id} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class MutualAidLine(models.Model):
    """What the borrower asks for: a kind, a quantity and a free description (and an item code for items)."""

    request = models.ForeignKey(MutualAidRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    description = models.CharField(_("description"), max_length=300, blank=True)
    # For items: the catalogue code (logistics Item.code) when the borrower knows it.
    item_code = models.CharField(_("item code"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("requested line")
        verbose_name_plural = _("requested lines")
        ordering = ["request", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="mutualaid_line_quantity_positive")]

    def __str__(self):
        return f"{self.quantity} × {self.kind}"


class MutualAidResource(models.Model):
    """One concrete thing the lender lends against a line: a unit, a volunteer, or a quantity of an item."""

    request = models.ForeignKey(MutualAidRequest, on_delete=models.CASCADE, related_name="resources")
    line = models.ForeignKey(MutualAidLine, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(_("kind"), max_length=12, choices=LineKind.choices)
    unit = models.ForeignKey("dispatch.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="mutual_aid_loans", verbose_name=_("unit"))
    volunteer = models.ForeignKey("disaster_volunteers.Volunteer", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="mutual_aid_loans", verbose_name=_("volunteer"))
    item_code = models.CharField(_("item code"), max_length=40, blank=True)
    # Units and volunteers count 1; items their quantity in the item's own unit.
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    # Items the borrower used up (told at release); the rest goes back.
    consumed_quantity = models.PositiveIntegerField(_("consumed quantity"), default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("lent resource")
        verbose_name_plural = _("lent resources")
        ordering = ["request", "line__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "unit"], condition=Q(unit__isnull=False),
                                    name="mutualaid_unit_once_per_request"),
            models.UniqueConstraint(fields=["request", "volunteer"], condition=Q(volunteer__isnull=False),
                                    name="mutualaid_volunteer_once_per_request"),
            models.CheckConstraint(condition=Q(consumed_quantity__lte=models.F("quantity")),
                                   name="mutualaid_consumed_at_most_lent"),
        ]

    def __str__(self):
        if self.unit_id:
            return f"unit {self.unit_id}"
        if self.volunteer_id:
            return f"volunteer {self.volunteer_id}"
        return f"{self.quantity} × {self.item_code or self.kind}"


class Transition(models.Model):
    """One step of a request's history: who moved it from which state to which, when, with what note."""

    request = models.ForeignKey(MutualAidRequest, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, choices=State.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_organization = models.ForeignKey("core.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("mutual aid transition")
        verbose_name_plural = _("mutual aid transitions")
        ordering = ["request", "at", "id"]

    def __str__(self):
        return f"{self.from_state or '-'} -> {self.to_state}"


class Letter(models.Model):
    """A letter attached to a request (surat permohonan, surat tugas), kept in the database with its checksum."""

    class Kind(models.TextChoices):
        # surat permohonan: the borrower's formal request letter
        REQUEST_LETTER = "request_letter", _("Request letter (surat permohonan)")
        # surat tugas: the lender's assignment letter for the people it sends
        ASSIGNMENT_LETTER = "assignment_letter", _("Assignment letter (surat tugas)")
        OTHER = "other", _("Other document")

    request = models.ForeignKey(MutualAidRequest, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("uploaded by organisation"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["request", "uploaded_at", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "sha256"], name="mutualaid_letter_once")]

    def __str__(self):
        return self.filename
