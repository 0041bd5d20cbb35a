"""Community health records: posyandu, households, persons, posyandu days (sessions) and child measurements.

Tenant rows carry the posyandu's organisation (kind "posyandu", below its puskesmas) and the
kelurahan code, so a kader sees their own posyandu and the puskesmas sees all posyandu below it.
Measurements are integers with units in their names (grams, millimetres); z-scores are derived
(siaga.health.growth) and stored with their Permenkes 2/2020 categories so dashboards need no
recomputation.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Posyandu(models.Model):
    """A posyandu (community health post run monthly by volunteer kader), one per organisation."""

    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="posyandu",
                                        verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=200)
    # Kemendagri code of the kelurahan/desa it serves.
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    # Monthly schedule: either a fixed day of the month, or the n-th weekday (week 1-5, weekday 0 = Monday).
    schedule_day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True)
    schedule_week_of_month = models.PositiveSmallIntegerField(_("week of the month"), null=True, blank=True)
    schedule_weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("posyandu")
        verbose_name_plural = _("posyandu")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def session_date_in(self, year: int, month: int) -> dt.date | None:
        """The scheduled posyandu day in a month (None when no schedule is set)."""
        last = calendar.monthrange(year, month)[1]
        if self.schedule_day_of_month:
            return dt.date(year, month, min(self.schedule_day_of_month, last))
        if self.schedule_week_of_month and self.schedule_weekday is not None:
            first = dt.date(year, month, 1)
            offset = (self.schedule_weekday - first.weekday()) % 7
            day = 1 + offset + 7 * (self.schedule_week_of_month - 1)
            while day > last:  # "5th Tuesday" in a month with four: the last one
                day -= 7
            return dt.date(year, month, day)
        return None

    def next_session_date(self, after: dt.date) -> dt.date | None:
        """The first scheduled day on or after a date."""
        year, month = after.year, after.month
        for _i in range(13):
            d = self.session_date_in(year, month)
            if d is None:
                return None
            if d >= after:
                return d
            month += 1
            if month > 12:
                year, month = year + 1, 1
        return None


class Household(models.Model):
    """A household (one family card, KK) served by a posyandu."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    posyandu = models.ForeignKey(Posyandu, on_delete=models.PROTECT, related_name="households")
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    head_name = models.CharField(_("head of household"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)  # rukun tetangga: neighbourhood unit
    rw = models.CharField(_("RW"), max_length=3, blank=True)  # rukun warga: group of RT
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["head_name"]

    def __str__(self):
        return self.head_name


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Person(models.Model):
    """A person served by a posyandu; the NIK is kept with a keyed hash for lookup and shown masked."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    posyandu = models.ForeignKey(Posyandu, on_delete=models.PROTECT, related_name="persons")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    # Kemendagri code of the kelurahan/desa of the person's address.
    region_code = models.CharField(_("address region"), max_length=13, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    # NIK (16 digits) may be missing for a newborn not yet on the family card.
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    nik_hash = models.CharField(max_length=64, blank=True, db_index=True)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    mother_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["nik_hash"], condition=~Q(nik_hash=""), name="health_person_uniq_nik"),
        ]

    def __str__(self):
        return self.name

    def age_days_on(self, day: dt.date) -> int:
        return (day - self.birth_date).days


class SessionStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Session(models.Model):
    """One posyandu day (hari buka posyandu) and who attended it."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    posyandu = models.ForeignKey(Posyandu, on_delete=models.PROTECT, related_name="sessions")
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.OPEN)
    note = models.CharField(_("note"), max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("posyandu session")
        verbose_name_plural = _("posyandu sessions")
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["posyandu", "date"], name="health_session_uniq_day")]

    def __str__(self):
        return f"{self.posyandu} {self.date:%Y-%m-%d}"


class Attendance(models.Model):
    """A person present at a posyandu session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="attendance")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="health_attendance_uniq")]


class Position(models.TextChoices):
    LYING = "lying", _("lying (length)")
    STANDING = "standing", _("standing (height)")


class GrowthStatus(models.TextChoices):
    """The KMS weighing result between two monthly visits (Permenkes 155/2010 on the KMS)."""

    GAINED = "N", _("gained weight (naik)")
    NOT_GAINED = "T", _("did not gain weight (tidak naik)")
    NOT_WEIGHED_LAST_MONTH = "O", _("not weighed last month")
    FIRST = "B", _("first weighing (baru)")


class Measurement(models.Model):
    """One anthropometric measurement of a person, with its WHO z-scores and Permenkes categories."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="measurements")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="measurements")
    measured_on = models.DateField(_("measured on"), db_index=True)
    age_days = models.PositiveIntegerField(_("age (days)"))
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    length_height_mm = models.PositiveIntegerField(_("length/height (mm)"), null=True, blank=True)
    position = models.CharField(_("measured"), max_length=10, choices=Position.choices, blank=True)
    oedema = models.BooleanField(_("oedema"), default=False)

    # Derived with siaga.health.growth; None where the indicator does not apply.
    z_wfa = models.FloatField(_("weight-for-age z"), null=True, blank=True)
    z_lhfa = models.FloatField(_("length/height-for-age z"), null=True, blank=True)
    z_wflh = models.FloatField(_("weight-for-length/height z"), null=True, blank=True)
    z_bmi = models.FloatField(_("BMI-for-age z"), null=True, blank=True)
    category_wfa = models.CharField(max_length=40, blank=True, db_index=True)
    category_lhfa = models.CharField(max_length=40, blank=True, db_index=True)
    category_wflh = models.CharField(max_length=40, blank=True, db_index=True)
    category_bmi = models.CharField(max_length=40, blank=True)

    # Outside WHO's flag limits: kept only when someone confirmed it; the indicators concerned are listed.
    implausible = models.BooleanField(_("needs confirmation"), default=False)
    implausible_indicators = models.JSONField(default=list, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    # The KMS weighing result against the previous month's weight.
    growth_status = models.CharField(_("weighing result"), max_length=1, choices=GrowthStatus.choices, blank=True,
                                     db_index=True)
    weight_gain_g = models.IntegerField(_("weight gain (g)"), null=True, blank=True)
    minimum_gain_g = models.PositiveIntegerField(_("minimum gain (g)"), null=True, blank=True)
    # Two "tidak naik" in a row (2T): refer to the puskesmas.
    needs_referral = models.BooleanField(_("refer to puskesmas"), default=False)

    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    source = models.CharField(max_length=20, default="form")  # form, import
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["person_id", "measured_on"]
        constraints = [models.UniqueConstraint(fields=["person", "measured_on"], name="health_measurement_uniq_day")]
        indexes = [models.Index(fields=["organization", "measured_on"]),
                   models.Index(fields=["region_code", "measured_on"])]

    def __str__(self):
        return f"{self.person} {self.measured_on:%Y-%m-%d}"

    @property
    def weight_kg(self) -> float | None:
        return None if self.weight_g is None else self.weight_g / 1000.0

    @property
    def length_height_cm(self) -> float | None:
        return None if self.length_height_mm is None else self.length_height_mm / 10.0


from .models_vital import *  # noqa: E402,F401,F403  (vital events live in their own module)
from .models_lifecycle import *  # noqa: E402,F401,F403  (life-cycle services live in their own module)
