"""Team activation: standing teams, activations for a disaster event, the alerts they send, and assignments.

An Activation asks for N volunteers with given skills within a travel distance of a meeting point, for
one disaster event. Each volunteer it reaches gets one ActivationAlert (unique per activation and
volunteer) and answers yes or no from their phone; a yes becomes an Assignment, checked in and out on
site. Shift limits and rest are rules on assignments (see services.check_rest): a volunteer who has not
rested long enough since their last shift is neither assigned nor checked in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

# Defaults of the rest rules; settings may change them, each activation may set its own.
DEFAULT_MAX_SHIFT_HOURS = 12
DEFAULT_MIN_REST_HOURS = 8


def default_max_shift_hours() -> int:
    return int(getattr(settings, "SIAGA_TEAMS_MAX_SHIFT_HOURS", DEFAULT_MAX_SHIFT_HOURS))


def default_min_rest_hours() -> int:
    return int(getattr(settings, "SIAGA_TEAMS_MIN_REST_HOURS", DEFAULT_MIN_REST_HOURS))


class Team(models.Model):
    """A standing team of an organisation (a SATGANA unit, a water-rescue squad) that can be alerted as a whole."""

    class Kind(models.TextChoices):
        # SATGANA: PMI's disaster response unit (Satuan Siaga Penanggulangan Bencana).
        SATGANA = "satgana", _("Disaster response unit (SATGANA)")
        FIRST_AID = "first_aid", _("First aid")
        WATER_RESCUE = "water_rescue", _("Water rescue")
        ASSESSMENT = "assessment", _("Assessment")
        LOGISTICS = "logistics", _("Logistics")
        PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
        WASH = "wash", _("Water, sanitation and hygiene (WASH)")
        PUBLIC_KITCHEN = "public_kitchen", _("Public kitchen")
        OTHER = "other", _("Other")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="teams",
                                     verbose_name=_("organisation"))
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SATGANA)
    members = models.ManyToManyField("disaster_volunteers.Volunteer", through="TeamMembership", related_name="teams",
                                     verbose_name=_("members"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="teams_team_uniq_org_name")]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("Team leader")
        MEMBER = "member", _("Member")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey("disaster_volunteers.Volunteer", on_delete=models.CASCADE,
                                  related_name="team_memberships")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        ordering = ["team", "-role", "volunteer__name"]
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"], name="teams_membership_uniq")]

    def __str__(self):
        return f"{self.team_id}:{self.volunteer_id} {self.role}"


class Activation(models.Model):
    """A call for volunteers for one disaster event: who is needed, how many, where to meet."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        FILLED = "filled", _("Filled")
        CLOSED = "closed", _("Closed")

    event = models.ForeignKey("disaster.DisasterEvent", on_delete=models.PROTECT, related_name="activations",
                              verbose_name=_("disaster event"))
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="activations",
                                     verbose_name=_("organisation"))
    # Where the volunteers are needed (the meeting point's kelurahan or the event's area).
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="activations",
                             verbose_name=_("team"))
    required_skills = models.ManyToManyField("disaster_volunteers.Skill", blank=True, related_name="+",
                                             verbose_name=_("required skills"))
    number_needed = models.PositiveSmallIntegerField(_("number needed"))
    max_travel_km = models.PositiveSmallIntegerField(_("maximum travel distance (km)"), default=50)
    meeting_lat = models.FloatField(_("meeting point latitude"))
    meeting_lon = models.FloatField(_("meeting point longitude"))
    meeting_text = models.CharField(_("meeting point"), max_length=300, blank=True)
    message = models.TextField(_("message"), blank=True)
    max_shift_hours = models.PositiveSmallIntegerField(_("maximum shift (hours)"), default=default_max_shift_hours)
    min_rest_hours = models.PositiveSmallIntegerField(_("minimum rest between shifts (hours)"),
                                                      default=default_min_rest_hours)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activation")
        verbose_name_plural = _("activations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(number_needed__gte=1), name="teams_activation_needs_someone"),
            models.CheckConstraint(condition=Q(max_shift_hours__gte=1) & Q(max_shift_hours__lte=24),
                                   name="teams_activation_shift_1_24"),
        ]

    def __str__(self):
        return f"{self.event_id}/{self.pk} ({self.number_needed})"


class ActivationAlert(models.Model):
    """One volunteer alerted by one activation, and their answer."""

    class Answer(models.TextChoices):
        NONE = "none", _("No answer yet")
        YES = "yes", _("Yes")
        NO = "no", _("No")

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="alerts")
    volunteer = models.ForeignKey("disaster_volunteers.Volunteer", on_delete=models.PROTECT,
                                  related_name="activation_alerts")
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    answer = models.CharField(_("answer"), max_length=4, choices=Answer.choices, default=Answer.NONE)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Straight-line distance from the volunteer's home position to the meeting point.
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    # Travel time on the road network where one covers both points; else an estimate from the straight line.
    travel_minutes = models.PositiveIntegerField(_("travel time (minutes)"), null=True, blank=True)
    travel_estimated = models.BooleanField(_("travel time estimated (straight line)"), default=True)
    # Alerted under a mutual-aid grant: a volunteer of an organisation the activating one does not oversee.
    via_grant = models.BooleanField(_("lent under mutual aid"), default=False)

    class Meta:
        verbose_name = _("activation alert")
        verbose_name_plural = _("activation alerts")
        ordering = ["activation", "distance_km", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activation", "volunteer"], name="teams_alert_uniq_activation_volunteer"),
        ]

    def __str__(self):
        return f"{self.activation_id}:{self.volunteer_id} {self.answer}"


class Assignment(models.Model):
    """A volunteer who said yes, on one activation of an event: check-in and check-out on site."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Team leader")
        MEMBER = "member", _("Member")

    activation = models.ForeignKey(Activation, on_delete=models.CASCADE, related_name="assignments")
    event = models.ForeignKey("disaster.DisasterEvent", on_delete=models.PROTECT, related_name="assignments")
    volunteer = models.ForeignKey("disaster_volunteers.Volunteer", on_delete=models.PROTECT,
                                  related_name="assignments")
    alert = models.OneToOneField(ActivationAlert, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="assignment")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    check_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_lat = models.FloatField(null=True, blank=True)
    check_in_lon = models.FloatField(null=True, blank=True)
    check_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True, db_index=True)
    shift_limit_hours = models.PositiveSmallIntegerField(_("shift limit (hours)"), default=default_max_shift_hours)
    # Withdrawn before check-in (the volunteer changed their yes to no, or the activation closed).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When the roster was told this shift ran past its limit (once per shift; see services.flag_long_shifts).
    over_limit_flagged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["activation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activation", "volunteer"], name="teams_assignment_uniq"),
            models.CheckConstraint(condition=Q(check_out_at__isnull=True) | Q(check_in_at__isnull=False),
                                   name="teams_assignment_out_after_in"),
            models.CheckConstraint(condition=Q(check_out_at__isnull=True) | Q(check_out_at__gte=F("check_in_at")),
                                   name="teams_assignment_out_not_before_in"),
        ]

    def __str__(self):
        return f"{self.activation_id}:{self.volunteer_id}"

    @property
    def on_site(self) -> bool:
        return self.check_in_at is not None and self.check_out_at is None
