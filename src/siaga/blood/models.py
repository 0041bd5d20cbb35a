"""Blood service records: sites, donors, eligibility, collection, screening, components, stock, requests, issue,
transfers and traceability (PMI UDD and hospital blood banks).

Conventions every writer (services.py, services_issue.py) keeps:
- Tenant rows carry `organization` (the owner) and `region_code` (the owning site's or organisation's
  Kemendagri code, used for geographic scopes). A donor's home address region is `home_region_code`.
- ABO is one of "O", "A", "B", "AB"; RhD is "pos" or "neg"; "" means not (yet) known.
- A component's status changes only by a conditional update on (pk, status, version) that also bumps
  `version` (see services: `Component.objects.filter(pk=, status=, version=).update(...)`), so two requests
  can never take one unit.
- Volumes, money and counts are integers with units in their names (volume_ml, fee_bppd_rupiah).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from siaga.core.models import Organization

USER = settings.AUTH_USER_MODEL


# --- shared choices -------------------------------------------------------------------------------


class ABO(models.TextChoices):
    O = "O", "O"  # noqa: E741
    A = "A", "A"
    B = "B", "B"
    AB = "AB", "AB"


class RhD(models.TextChoices):
    POS = "pos", _("RhD positive")
    NEG = "neg", _("RhD negative")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Procedure(models.TextChoices):
    WHOLE_BLOOD = "whole_blood", _("Whole blood")
    APHERESIS_PLATELETS = "apheresis_platelets", _("Apheresis platelets")
    APHERESIS_PLASMA = "apheresis_plasma", _("Apheresis plasma")


class DonorType(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary (donor sukarela)")
    REPLACEMENT = "replacement", _("Replacement / family (donor pengganti)")


class ComponentGroup(models.TextChoices):
    """What compatibility rule a component follows."""

    WHOLE_BLOOD = "whole_blood", _("Whole blood")
    RED_CELLS = "red_cells", _("Red cells")
    PLATELETS = "platelets", _("Platelets")
    PLASMA = "plasma", _("Plasma")
    CRYO = "cryo", _("Cryoprecipitate")


# --- sites ----------------------------------------------------------------------------------------


class Site(models.Model):
    """A place that holds blood: a PMI UDD or a hospital blood bank (BDRS), owned by one organisation."""

    class Kind(models.TextChoices):
        UDD = "udd", _("Blood donor unit (UDD)")
        HOSPITAL_BANK = "bdrs", _("Hospital blood bank (BDRS)")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_sites")
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    # ISBT 128 facility identification number (5 characters, assigned by ICCBBA): first part of every DIN
    # this site collects. Empty for sites that do not collect (hospital blood banks).
    isbt_fin = models.CharField(_("ISBT 128 facility identification number"), max_length=5, blank=True)
    # The UDD that normally supplies a hospital blood bank.
    supplier = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supplied",
                                 verbose_name=_("usual supplier"))
    # Shown on the public stock board.
    public = models.BooleanField(_("on the public stock board"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("blood site")
        verbose_name_plural = _("blood sites")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Counter(models.Model):
    """The last number handed out per key and year (row-locked while numbering): DIN sequences, request numbers."""

    key = models.CharField(max_length=40)  # "din:A9999", "request:<org id>", "transfer:<org id>"
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="uniq_blood_counter")]


# --- donors ---------------------------------------------------------------------------------------


class Donor(models.Model):
    """A blood donor registered by a UDD. The NIK is kept with a keyed hash for look-up and shown masked in lists."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_donors")
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)  # the UDD's area
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="donors")
    number = models.CharField(_("donor number"), max_length=32)
    nik = models.CharField(_("NIK"), max_length=16)
    # HMAC-SHA256 of the NIK with the site secret: equality look-up and de-duplication without scanning.
    nik_hash = models.CharField(max_length=64, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)  # E.164
    address = models.CharField(_("address"), max_length=300, blank=True)
    home_region_code = models.CharField(_("home region"), max_length=13, blank=True, db_index=True)
    abo = models.CharField(_("ABO group"), max_length=2, choices=ABO.choices, blank=True)
    rhd = models.CharField(_("RhD"), max_length=3, choices=RhD.choices, blank=True)
    # True once a laboratory grouping confirmed abo/rhd (a self-reported group is never used for issue).
    group_confirmed = models.BooleanField(_("group confirmed"), default=False)
    group_confirmed_at = models.DateTimeField(null=True, blank=True)
    donor_type = models.CharField(_("donor type"), max_length=12, choices=DonorType.choices,
                                  default=DonorType.VOLUNTARY)
    # Denormalised by services after each donation or deferral: what the recall and self-service pages show.
    donation_count = models.PositiveIntegerField(_("donations"), default=0)
    last_donation_at = models.DateTimeField(_("last donation"), null=True, blank=True)
    next_eligible_on = models.DateField(_("next eligible date"), null=True, blank=True)
    permanently_deferred = models.BooleanField(_("permanently deferred"), default=False)
    # On-call panel (e.g. RhD-negative donors called when a rare unit is needed).
    on_call_panel = models.BooleanField(_("on-call donor panel"), default=False)
    sms_consent = models.BooleanField(_("agrees to SMS reminders"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["name"]
        indexes = [models.Index(fields=["organization", "abo", "rhd", "next_eligible_on"])]
        constraints = [
            models.UniqueConstraint(fields=["organization", "nik_hash"], name="uniq_donor_nik_per_org"),
            models.UniqueConstraint(fields=["organization", "number"], name="uniq_donor_number"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def nik_masked(self) -> str:
        return (self.nik[:4] + "*" * 8 + self.nik[-4:]) if len(self.nik) == 16 else "*" * len(self.nik)

    @property
    def group_label(self) -> str:
        if not self.abo:
            return "?"
        return self.abo + {"pos": "+", "neg": "−"}.get(self.rhd, "")


class Deferral(models.Model):
    """A period (or for ever) during which a donor may not give blood, with its reason."""

    class Kind(models.TextChoices):
        TEMPORARY = "temporary", _("Temporary")
        PERMANENT = "permanent", _("Permanent")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by staff")
        ELIGIBILITY = "eligibility", _("Failed eligibility check")
        SCREENING = "screening", _("Reactive screening result")
        ADVERSE_REACTION = "adverse_reaction", _("Adverse donor reaction")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="deferrals")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    reason_code = models.CharField(_("reason code"), max_length=40)
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)  # None for permanent deferrals
    donation = models.ForeignKey("Donation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("deferral")
        verbose_name_plural = _("deferrals")
        ordering = ["-starts_on", "-id"]

    def __str__(self):
        return f"{self.donor} {self.get_kind_display()} {self.reason_code}"


class EligibilityRule(models.Model):
    """One donor-selection criterion as data (seeded from Permenkes 91/2015); checked at every visit."""

    class Parameter(models.TextChoices):
        AGE_YEARS = "age_years", _("Age (years)")
        WEIGHT_KG = "weight_kg", _("Body weight (kg)")
        HB_G_DL = "hb_g_dl", _("Haemoglobin (g/dL)")
        SYSTOLIC_MMHG = "systolic_mmhg", _("Systolic blood pressure (mmHg)")
        DIASTOLIC_MMHG = "diastolic_mmhg", _("Diastolic blood pressure (mmHg)")
        PULSE_BPM = "pulse_bpm", _("Pulse (beats per minute)")
        TEMPERATURE_C = "temperature_c", _("Body temperature (°C)")
        INTERVAL_DAYS = "interval_days", _("Days since the last donation")
        DONATIONS_PER_YEAR = "donations_per_year", _("Donations in the last 12 months")
        PLATELET_COUNT = "platelet_count_k", _("Platelet count (×10³/µL)")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    parameter = models.CharField(_("parameter"), max_length=30, choices=Parameter.choices)
    # Which procedure the rule applies to; "" = every procedure.
    procedure = models.CharField(_("procedure"), max_length=24, choices=Procedure.choices, blank=True)
    # For INTERVAL_DAYS: which procedure the previous donation was ("" = any).
    previous_procedure = models.CharField(_("previous procedure"), max_length=24, choices=Procedure.choices,
                                          blank=True)
    bag_volume_ml = models.PositiveIntegerField(_("bag volume (ml)"), null=True, blank=True)  # None = any volume
    # None = every donor; True = first-time donors only; False = repeat donors only.
    first_time = models.BooleanField(_("first-time donors"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=7, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=7, decimal_places=2, null=True, blank=True)
    # When failed: days of temporary deferral (0 = refused today only).
    deferral_days = models.PositiveIntegerField(_("deferral (days)"), default=0)
    reason = models.CharField(_("reason shown"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=100)

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.code


class DonationSession(models.Model):
    """A collection session: a day at the UDD or a mobile blood drive (mobil unit) with its organiser and target."""

    class Kind(models.TextChoices):
        UDD = "udd", _("At the UDD")
        MOBILE = "mobile", _("Mobile drive (mobil unit)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region"), max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=300, blank=True)
    location_region_code = models.CharField(_("location region"), max_length=13, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)
    organiser_phone = models.CharField(_("organiser phone"), max_length=20, blank=True)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"))
    target_donors = models.PositiveIntegerField(_("target donors"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Shown on the donors' public schedule.
    public = models.BooleanField(_("public"), default=True)
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation session")
        verbose_name_plural = _("donation sessions")
        ordering = ["-starts_at"]

    def __str__(self):
        return f"{self.name} {self.starts_at:%Y-%m-%d}"


class Appointment(models.Model):
    """A donor's booking for a session or a time at the UDD (made by staff or by the donor on the self-service page)."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ATTENDED = "attended", _("Attended")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not come")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="appointments")
    session = models.ForeignKey(DonationSession, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="appointments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(_("time"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    self_service = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["scheduled_at"]


class DonorVisit(models.Model):
    """One pre-donation check (anamnesis, weight, Hb, blood pressure...) and its eligibility verdict."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="visits")
    session = models.ForeignKey(DonationSession, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="visits")
    at = models.DateTimeField(_("time"), db_index=True)
    procedure = models.CharField(_("procedure"), max_length=24, choices=Procedure.choices,
                                 default=Procedure.WHOLE_BLOOD)
    bag_volume_ml = models.PositiveIntegerField(_("bag volume (ml)"), default=350)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True)
    hb_g_dl = models.DecimalField(_("haemoglobin (g/dL)"), max_digits=4, decimal_places=1, null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    pulse_bpm = models.PositiveSmallIntegerField(_("pulse (bpm)"), null=True, blank=True)
    pulse_regular = models.BooleanField(_("pulse regular"), default=True)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True)
    platelet_count_k = models.PositiveIntegerField(_("platelet count (×10³/µL)"), null=True, blank=True)
    eligible = models.BooleanField(_("eligible"))
    # [{"rule": code, "code": reason code, "reason": text, "value": ..., "deferral_days": n}]
    refusals = models.JSONField(_("reasons for refusal"), default=list, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    checked_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("donor visit")
        verbose_name_plural = _("donor visits")
        ordering = ["-at"]


# --- collection -----------------------------------------------------------------------------------


class Donation(models.Model):
    """One collection, identified by its ISBT 128 donation identification number (DIN)."""

    class BagType(models.TextChoices):
        SINGLE = "single", _("Single bag")
        DOUBLE = "double", _("Double bag")
        TRIPLE = "triple", _("Triple bag")
        QUADRUPLE = "quadruple", _("Quadruple bag")
        TRIPLE_TOP_BOTTOM = "triple_tb", _("Triple bag top-and-bottom")
        APHERESIS_KIT = "apheresis", _("Apheresis kit")

    class Anticoagulant(models.TextChoices):
        CPDA1 = "CPDA-1", "CPDA-1"
        CPD_SAGM = "CPD-SAGM", "CPD/SAGM"
        ACD_A = "ACD-A", "ACD-A"

    class Status(models.TextChoices):
        QUARANTINE = "quarantine", _("In quarantine (tests pending)")
        RELEASED = "released", _("Released (all tests negative)")
        DISCARDED = "discarded", _("Discarded")

    class Screening(models.TextChoices):
        PENDING = "pending", _("Pending")
        NEGATIVE = "negative", _("All negative")
        REACTIVE = "reactive", _("Reactive")

    class Reaction(models.TextChoices):
        NONE = "none", _("None")
        MILD = "mild", _("Mild (e.g. dizziness, haematoma)")
        MODERATE = "moderate", _("Moderate (e.g. fainting)")
        SEVERE = "severe", _("Severe (needs medical care)")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="donations")
    session = models.ForeignKey(DonationSession, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="donations")
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="donations")
    visit = models.OneToOneField(DonorVisit, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="donation")
    # The 13-character DIN (FIN 5 + year 2 + sequence 6), its two flag characters and the Mod 37-2 check character.
    din = models.CharField(_("donation identification number"), max_length=13, unique=True)
    din_flags = models.CharField(max_length=2, default="00")
    din_check = models.CharField(max_length=1)
    procedure = models.CharField(_("procedure"), max_length=24, choices=Procedure.choices,
                                 default=Procedure.WHOLE_BLOOD)
    donor_type = models.CharField(_("donor type"), max_length=12, choices=DonorType.choices,
                                  default=DonorType.VOLUNTARY)
    bag_type = models.CharField(_("bag type"), max_length=12, choices=BagType.choices)
    anticoagulant = models.CharField(_("anticoagulant"), max_length=10, choices=Anticoagulant.choices,
                                     default=Anticoagulant.CPDA1)
    volume_ml = models.PositiveIntegerField(_("volume (ml)"))
    collected_at = models.DateTimeField(_("collected at"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUARANTINE,
                              db_index=True)
    screening = models.CharField(_("screening"), max_length=10, choices=Screening.choices,
                                 default=Screening.PENDING)
    screened_at = models.DateTimeField(null=True, blank=True)
    adverse_reaction = models.CharField(_("adverse donor reaction"), max_length=10, choices=Reaction.choices,
                                        default=Reaction.NONE)
    adverse_reaction_notes = models.CharField(_("reaction notes"), max_length=300, blank=True)
    # Red cells only, or also platelets and plasma: the production hint shown when the bag was collected.
    production_hint = models.JSONField(default=list, blank=True)
    separated_at = models.DateTimeField(null=True, blank=True)
    collected_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        ordering = ["-collected_at"]
        indexes = [models.Index(fields=["organization", "collected_at"]),
                   models.Index(fields=["donor", "collected_at"])]

    def __str__(self):
        return self.din

    @property
    def din_display(self) -> str:
        """The eye-readable form printed under the barcode: 'A9999 26 123456 00 ⊡ X' without the box."""
        return f"{self.din[:5]} {self.din[5:7]} {self.din[7:]} {self.din_flags} {self.din_check}"


class ScreeningResult(models.Model):
    """One mandatory test result of a donation: an infectious marker (IMLTD) or the blood grouping."""

    class Marker(models.TextChoices):
        HIV = "hiv", _("HIV")
        HBSAG = "hbsag", _("Hepatitis B (HBsAg)")
        HCV = "hcv", _("Hepatitis C (anti-HCV)")
        SYPHILIS = "syphilis", _("Syphilis")
        GROUPING = "grouping", _("ABO/RhD grouping")

    class Result(models.TextChoices):
        NONREACTIVE = "nonreactive", _("Non-reactive")
        REACTIVE = "reactive", _("Reactive")
        GROUPED = "grouped", _("Grouped")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    donation = models.ForeignKey(Donation, on_delete=models.CASCADE, related_name="results")
    marker = models.CharField(_("test"), max_length=10, choices=Marker.choices)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    abo = models.CharField(_("ABO group"), max_length=2, choices=ABO.choices, blank=True)  # grouping only
    rhd = models.CharField(_("RhD"), max_length=3, choices=RhD.choices, blank=True)  # grouping only
    method = models.CharField(_("method"), max_length=60, blank=True)  # "ChLIA", "NAT", "rapid", "gel"
    kit_lot = models.CharField(_("kit lot"), max_length=60, blank=True)
    tested_at = models.DateTimeField(_("tested at"))
    entered_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        ordering = ["donation_id", "marker"]
        constraints = [models.UniqueConstraint(fields=["donation", "marker"], name="uniq_screening_marker")]

    def __str__(self):
        return f"{self.donation_id} {self.marker} {self.result}"


INFECTIOUS_MARKERS = (ScreeningResult.Marker.HIV, ScreeningResult.Marker.HBSAG, ScreeningResult.Marker.HCV,
                      ScreeningResult.Marker.SYPHILIS)


# --- components -----------------------------------------------------------------------------------


class ComponentType(models.Model):
    """A kind of blood product (WB, PRC, TC, FFP, cryo and their variants) with its storage and shelf life."""

    code = models.SlugField(_("code"), max_length=20, unique=True)  # "PRC", "PRC-LD", "TC", "FFP"...
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(_("compatibility group"), max_length=12, choices=ComponentGroup.choices)
    # Hours, so that 24-hour products (washed red cells) and 1-year products share one column.
    shelf_life_hours = models.PositiveIntegerField(_("shelf life (hours)"))
    storage_min_c = models.DecimalField(_("storage minimum (°C)"), max_digits=5, decimal_places=1)
    storage_max_c = models.DecimalField(_("storage maximum (°C)"), max_digits=5, decimal_places=1)
    frozen = models.BooleanField(_("frozen"), default=False)
    default_volume_ml = models.PositiveIntegerField(_("usual volume (ml)"), default=0)
    # Made from another component rather than from the bag (washed from PRC, pooled...).
    derived_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    default_fee_bppd_rupiah = models.PositiveIntegerField(_("processing fee BPPD (rupiah)"), default=0)
    sort_order = models.PositiveIntegerField(default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("component type")
        verbose_name_plural = _("component types")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.code


class ProductCode(models.Model):
    """An ISBT 128 product description code (e.g. "E0291") for a component type in a given bag/anticoagulant."""

    code = models.CharField(_("product code"), max_length=16, unique=True)
    component_type = models.ForeignKey(ComponentType, on_delete=models.PROTECT, related_name="product_codes")
    description = models.CharField(_("description"), max_length=200)
    anticoagulant = models.CharField(_("anticoagulant"), max_length=10, blank=True)
    # Overrides the component type's shelf life for this product (e.g. PRC in SAGM: 42 days); None = type's.
    shelf_life_hours = models.PositiveIntegerField(_("shelf life (hours)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product code")
        verbose_name_plural = _("product codes")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.description}"


class ComponentStatus(models.TextChoices):
    QUARANTINE = "quarantine", _("Quarantine")
    AVAILABLE = "available", _("Available")
    RESERVED = "reserved", _("Reserved")
    ISSUED = "issued", _("Issued")
    TRANSFUSED = "transfused", _("Transfused")
    DISCARDED = "discarded", _("Discarded")
    EXPIRED = "expired", _("Expired")
    IN_TRANSIT = "in_transit", _("In transit")


# Statuses in which a unit is on a site's shelf (counted as stock).
ON_SHELF_STATUSES = (ComponentStatus.QUARANTINE, ComponentStatus.AVAILABLE, ComponentStatus.RESERVED)
FINAL_STATUSES = (ComponentStatus.TRANSFUSED, ComponentStatus.DISCARDED, ComponentStatus.EXPIRED)


class Component(models.Model):
    """One unit (kantong darah) made from a donation; it lives on one site at a time."""

    # The organisation holding the unit now (its site's organisation); changes when a transfer is received.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_components")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="components")
    # The UDD that made it (never changes).
    origin_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="components")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    component_type = models.ForeignKey(ComponentType, on_delete=models.PROTECT, related_name="components")
    product_code = models.ForeignKey(ProductCode, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="components")
    din = models.CharField(max_length=13, db_index=True)  # copied from the donation for scanning
    division = models.CharField(max_length=2, blank=True)  # split units ("A", "B")
    abo = models.CharField(_("ABO group"), max_length=2, choices=ABO.choices, blank=True)
    rhd = models.CharField(_("RhD"), max_length=3, choices=RhD.choices, blank=True)
    volume_ml = models.PositiveIntegerField(_("volume (ml)"))
    collected_at = models.DateTimeField(_("collected at"))
    prepared_at = models.DateTimeField(_("prepared at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=ComponentStatus.choices,
                              default=ComponentStatus.QUARANTINE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every status change: writers update on (pk, status, version) so a concurrent change loses.
    version = models.PositiveIntegerField(default=0)
    irradiated = models.BooleanField(_("irradiated"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("blood component")
        verbose_name_plural = _("blood components")
        ordering = ["expires_at", "id"]
        indexes = [
            # FEFO allocation and stock counts.
            models.Index(fields=["site", "status", "component_type", "abo", "rhd", "expires_at"],
                         name="blood_comp_stock_idx"),
            models.Index(fields=["status", "expires_at"], name="blood_comp_expiry_idx"),
            models.Index(fields=["organization", "status"], name="blood_comp_org_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["donation", "component_type", "division"], name="uniq_component_of_donation"),
        ]

    def __str__(self):
        return f"{self.din} {self.component_type_id and self.component_type.code}{self.division}"

    @property
    def group_label(self) -> str:
        if not self.abo:
            return "?"
        return self.abo + {"pos": "+", "neg": "−"}.get(self.rhd, "")


class ComponentEvent(models.Model):
    """The history of one unit: every status or site change, for vein-to-vein traceability."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField(db_index=True)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    # What caused it: {"issue": id} / {"transfer": id} / {"discard": id} / {"screening": id}
    ref = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]


# --- stock targets and demand ---------------------------------------------------------------------


class StockTarget(models.Model):
    """How many days of cover a site aims to hold per component and group.

    Colours: green at or above target_days, amber from amber_days up to target_days, red below amber_days
    (a shortage alert). Defaults follow national blood services' practice: 6 days of red cells, amber at 2.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="targets")
    component_type = models.ForeignKey(ComponentType, on_delete=models.CASCADE, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO.choices, blank=True)  # "" = every group
    rhd = models.CharField(max_length=3, choices=RhD.choices, blank=True)  # "" = both
    target_days = models.DecimalField(_("target (days of cover)"), max_digits=5, decimal_places=1, default=6)
    amber_days = models.DecimalField(_("amber below (days of cover)"), max_digits=5, decimal_places=1, default=2)
    # A floor in units regardless of forecast (e.g. 2 O-negative units for emergencies).
    min_units = models.PositiveIntegerField(_("minimum units"), default=0)

    class Meta:
        verbose_name = _("stock target")
        verbose_name_plural = _("stock targets")
        constraints = [models.UniqueConstraint(fields=["site", "component_type", "abo", "rhd"],
                                               name="uniq_stock_target")]


class DailyUsage(models.Model):
    """Per site, day, component and group: units collected, issued, transfused and discarded (forecast input)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="usage")
    date = models.DateField(db_index=True)
    component_type = models.ForeignKey(ComponentType, on_delete=models.CASCADE, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO.choices)
    rhd = models.CharField(max_length=3, choices=RhD.choices)
    collected = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    transfused = models.PositiveIntegerField(default=0)
    discarded = models.PositiveIntegerField(default=0)
    expired = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")
        constraints = [models.UniqueConstraint(fields=["site", "date", "component_type", "abo", "rhd"],
                                               name="uniq_daily_usage")]


class DemandFactor(models.Model):
    """A seasonal multiplier on forecast demand for a date range (e.g. the fasting month, Lebaran)."""

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")  # None = applies everywhere
    name = models.CharField(_("name"), max_length=120)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    factor = models.DecimalField(_("factor"), max_digits=4, decimal_places=2, default=1)
    # Multiplies collection (supply) rather than demand when True (donations fall in the fasting month).
    applies_to_supply = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("demand factor")
        verbose_name_plural = _("demand factors")
        ordering = ["starts_on"]


class StockAlert(models.Model):
    """A raised shortage or near-expiry alert, kept until the condition clears (so it is raised once)."""

    class Kind(models.TextChoices):
        SHORTAGE = "shortage", _("Shortage")
        NEAR_EXPIRY = "near_expiry", _("Units near expiry")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    component_type = models.ForeignKey(ComponentType, on_delete=models.CASCADE, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO.choices, blank=True)
    rhd = models.CharField(max_length=3, choices=RhD.choices, blank=True)
    level = models.CharField(max_length=8, blank=True)  # "amber" / "red" for shortages
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(db_index=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "component_type", "abo", "rhd"],
                                    condition=Q(cleared_at__isnull=True), name="uniq_open_stock_alert"),
        ]


# --- hospital requests, crossmatch, reservation, issue ----------------------------------------------


class Urgency(models.TextChoices):
    CITO = "cito", _("Cito (emergency)")
    ELECTIVE = "elective", _("Elective")


class Payer(models.TextChoices):
    BPJS = "bpjs", _("BPJS Kesehatan")
    SELF = "self", _("Self-paying")
    OTHER = "other", _("Other (insurer, government programme)")


class BloodRequest(models.Model):
    """A hospital's request for blood for one patient, sent to a UDD (shared with the supplier organisation)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        CROSSMATCHING = "crossmatching", _("Crossmatching")
        RESERVED = "reserved", _("Units reserved")
        PARTIALLY_ISSUED = "partially_issued", _("Partially issued")
        ISSUED = "issued", _("Issued")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    # The hospital (requester) owns the row; the supplier UDD sees it through `supplier`.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_requests")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    hospital_site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_requests_received")
    supplier_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="requests_received")
    number = models.CharField(_("number"), max_length=32)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    needed_by = models.DateTimeField(_("needed by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED,
                              db_index=True)
    patient_name = models.CharField(_("patient name"), max_length=200)
    patient_mrn = models.CharField(_("medical record number"), max_length=40, blank=True)
    patient_birth_date = models.DateField(_("patient birth date"), null=True, blank=True)
    patient_sex = models.CharField(_("patient sex"), max_length=1, choices=Sex.choices, blank=True)
    patient_abo = models.CharField(_("patient ABO"), max_length=2, choices=ABO.choices, blank=True)
    patient_rhd = models.CharField(_("patient RhD"), max_length=3, choices=RhD.choices, blank=True)
    ward = models.CharField(_("ward"), max_length=100, blank=True)
    diagnosis = models.CharField(_("diagnosis / indication"), max_length=300, blank=True)
    hb_g_dl = models.DecimalField(_("patient Hb (g/dL)"), max_digits=4, decimal_places=1, null=True, blank=True)
    payer = models.CharField(_("payer"), max_length=8, choices=Payer.choices, default=Payer.BPJS)
    payer_number = models.CharField(_("BPJS / insurer number"), max_length=40, blank=True)
    fee_bppd_rupiah = models.PositiveIntegerField(_("processing fee BPPD (rupiah)"), default=0)
    # A reference to what caused the request elsewhere (an incident number, a referral), for the evaluation.
    external_ref = models.CharField(max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    reject_reason = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("blood request")
        verbose_name_plural = _("blood requests")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["supplier", "status", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="uniq_blood_request_number")]

    def __str__(self):
        return self.number


class RequestLine(models.Model):
    """One product asked for in a request: component, group and number of units."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESERVED = "reserved", _("Reserved")
        ISSUED = "issued", _("Issued")
        CANCELLED = "cancelled", _("Cancelled")

    request = models.ForeignKey(BloodRequest, on_delete=models.CASCADE, related_name="lines")
    component_type = models.ForeignKey(ComponentType, on_delete=models.PROTECT, related_name="+")
    abo = models.CharField(_("ABO group"), max_length=2, choices=ABO.choices)
    rhd = models.CharField(_("RhD"), max_length=3, choices=RhD.choices)
    quantity = models.PositiveIntegerField(_("units"))
    issued_quantity = models.PositiveIntegerField(_("units issued"), default=0)
    irradiated_required = models.BooleanField(default=False)
    fee_bppd_rupiah = models.PositiveIntegerField(_("fee per unit (rupiah)"), default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        verbose_name = _("request line")
        verbose_name_plural = _("request lines")
        ordering = ["request_id", "id"]


class Crossmatch(models.Model):
    """A compatibility test of one unit against the patient's sample for one request line."""

    class Result(models.TextChoices):
        COMPATIBLE = "compatible", _("Compatible")
        INCOMPATIBLE = "incompatible", _("Incompatible")

    class Method(models.TextChoices):
        IMMEDIATE_SPIN = "immediate_spin", _("Immediate spin")
        GEL = "gel", _("Gel card (AHG)")
        TUBE_AHG = "tube_ahg", _("Tube (AHG)")
        ELECTRONIC = "electronic", _("Electronic")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    request_line = models.ForeignKey(RequestLine, on_delete=models.CASCADE, related_name="crossmatches")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="crossmatches")
    sample_id = models.CharField(_("patient sample"), max_length=40, blank=True)
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, default=Method.GEL)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    notes = models.CharField(max_length=300, blank=True)
    tested_at = models.DateTimeField()
    tested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("crossmatch")
        verbose_name_plural = _("crossmatches")
        ordering = ["-tested_at"]


class Reservation(models.Model):
    """A unit held for a request line until expires_at; released automatically if not collected in time."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ISSUED = "issued", _("Issued")
        RELEASED = "released", _("Released")
        EXPIRED = "expired", _("Expired (not collected in time)")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="reservations")
    request_line = models.ForeignKey(RequestLine, on_delete=models.CASCADE, related_name="reservations")
    crossmatch = models.ForeignKey(Crossmatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reserved_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    released_at = models.DateTimeField(null=True, blank=True)
    reserved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.UniqueConstraint(fields=["component"], condition=Q(status="active"),
                                    name="uniq_active_reservation"),
        ]


class Issue(models.Model):
    """A hand-over of units to a hospital's courier or the patient's family, signed by the receiver."""

    class RecipientKind(models.TextChoices):
        COURIER = "courier", _("Hospital courier")
        FAMILY = "family", _("Patient's family")
        HOSPITAL_STAFF = "hospital_staff", _("Hospital blood-bank staff")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")  # issuing UDD
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="issues")
    request = models.ForeignKey(BloodRequest, on_delete=models.PROTECT, related_name="issues")
    hospital = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="blood_issues_received")
    number = models.CharField(_("number"), max_length=32, blank=True)
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    issued_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipient_kind = models.CharField(_("collected by"), max_length=16, choices=RecipientKind.choices)
    recipient_name = models.CharField(_("recipient name"), max_length=200)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20, blank=True)
    recipient_id_number = models.CharField(_("recipient ID number"), max_length=40, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200)
    # The signature as drawn (SVG path data) or typed confirmation; kept for the hand-over record.
    signature = models.TextField(_("signature"), blank=True)
    cool_box_temperature_c = models.DecimalField(_("cool-box temperature (°C)"), max_digits=4, decimal_places=1,
                                                 null=True, blank=True)
    payer = models.CharField(_("payer"), max_length=8, choices=Payer.choices)
    fee_bppd_rupiah = models.PositiveIntegerField(_("processing fee BPPD (rupiah)"), default=0)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-issued_at"]


class IssueItem(models.Model):
    """One unit in a hand-over; transfusion (or return) is recorded against it."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="items")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="issue_items")
    request_line = models.ForeignKey(RequestLine, on_delete=models.PROTECT, related_name="issue_items")
    fee_bppd_rupiah = models.PositiveIntegerField(default=0)
    # Why another group was given (substitute in the order of preference), "" when identical.
    substitution = models.CharField(max_length=120, blank=True)
    transfused_at = models.DateTimeField(null=True, blank=True)
    transfusion_reaction = models.CharField(max_length=300, blank=True)
    returned = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("issued unit")
        verbose_name_plural = _("issued units")
        constraints = [
            # A unit is in at most one hand-over that has not been returned.
            models.UniqueConstraint(fields=["component"], condition=Q(returned=False), name="uniq_unreturned_issue"),
        ]


class Return(models.Model):
    """A unit brought back from a hospital; back to stock only if the cold chain held."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")  # receiving UDD
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="returns")
    issue_item = models.ForeignKey(IssueItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    returned_at = models.DateTimeField()
    returned_by_name = models.CharField(_("returned by"), max_length=200, blank=True)
    temperature_c = models.DecimalField(_("temperature on return (°C)"), max_digits=4, decimal_places=1,
                                        null=True, blank=True)
    minutes_out_of_storage = models.PositiveIntegerField(_("minutes out of controlled storage"), null=True,
                                                         blank=True)
    seal_intact = models.BooleanField(_("seal intact"), default=True)
    cold_chain_ok = models.BooleanField(_("cold chain kept"))
    accepted = models.BooleanField(_("back to stock"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    received_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-returned_at"]


class DiscardReason(models.TextChoices):
    EXPIRED = "expired", _("Expired (outdated)")
    REACTIVE = "reactive", _("Reactive screening test")
    LOOKBACK = "lookback", _("Lookback (donor later reactive)")
    BROKEN_BAG = "broken_bag", _("Broken or leaking bag")
    HAEMOLYSED = "haemolysed", _("Haemolysed")
    LIPAEMIC = "lipaemic", _("Lipaemic")
    UNDER_VOLUME = "under_volume", _("Under- or over-volume")
    COLD_CHAIN = "cold_chain", _("Cold chain broken")
    CLOTTED = "clotted", _("Clotted")
    RETURNED = "returned", _("Returned unfit")
    # Not a loss: the unit was made into another product (washed red cells, cryo); left out of outdate figures.
    PROCESSED = "processed", _("Processed into another product")
    OTHER = "other", _("Other")


class Discard(models.Model):
    """A unit taken out of use for good, with the reason (discards by reason give the outdate rate)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    component = models.OneToOneField(Component, on_delete=models.PROTECT, related_name="discard")
    reason = models.CharField(_("reason"), max_length=14, choices=DiscardReason.choices, db_index=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    discarded_at = models.DateTimeField(db_index=True)
    discarded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("discard")
        verbose_name_plural = _("discards")
        ordering = ["-discarded_at"]


# --- transfers between sites ------------------------------------------------------------------------


class TransferSuggestion(models.Model):
    """A computed proposal to move units from a site with surplus to one short of cover."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")  # the receiving side
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    from_site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    to_site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    component_type = models.ForeignKey(ComponentType, on_delete=models.CASCADE, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO.choices)
    rhd = models.CharField(max_length=3, choices=RhD.choices)
    quantity = models.PositiveIntegerField()
    component_ids = models.JSONField(default=list, blank=True)  # the units proposed, soonest-expiring first
    score = models.FloatField(default=0)
    # The arithmetic shown to the user: days of cover before/after at both ends, shelf life left, travel minutes.
    details = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("transfer suggestion")
        verbose_name_plural = _("transfer suggestions")
        ordering = ["-score"]


class Transfer(models.Model):
    """A shipment of units from one site to another (between UDDs and hospital blood banks, across kab/kota)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        DISPATCHED = "dispatched", _("Dispatched")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")  # sending side
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    to_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    from_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="transfers_out")
    to_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="transfers_in")
    number = models.CharField(_("number"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    suggestion = models.ForeignKey(TransferSuggestion, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="transfers")
    courier_name = models.CharField(_("courier"), max_length=200, blank=True)
    vehicle = models.CharField(_("vehicle"), max_length=60, blank=True)
    requested_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dispatched_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at"]


class TransferItem(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="items")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="transfer_items")
    # Set on receipt: accepted into the receiving site's stock, or not (cold chain broken, damaged).
    accepted = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transfer", "component"], name="uniq_transfer_item")]


class ColdChainReading(models.Model):
    """A temperature reading of a shipment (transfer) or of a hand-over cool box (issue)."""

    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="readings")
    issue = models.ForeignKey(Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="readings")
    at = models.DateTimeField()
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1)
    place = models.CharField(max_length=120, blank=True)  # "departure", "arrival", free text
    in_range = models.BooleanField()
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]


# --- donor recall ---------------------------------------------------------------------------------


class RecallCampaign(models.Model):
    """An SMS call-up of eligible donors of the groups projected to run short (or of the on-call panel).

    A shortage alert proposes one as a draft (no message yet: the donors are chosen when an officer sends it);
    a campaign created by hand is sent at once. Withdrawn: a draft nobody sent, or whose shortage cleared."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Proposed")
        SENT = "sent", _("Sent")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    abo = models.CharField(max_length=2, choices=ABO.choices, blank=True)
    rhd = models.CharField(max_length=3, choices=RhD.choices, blank=True)
    on_call_panel = models.BooleanField(default=False)
    reason = models.CharField(max_length=300, blank=True)
    message = models.TextField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recipients = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SENT, db_index=True)
    # The shortage alert that proposed it (none for a campaign started by hand).
    alert = models.ForeignKey(StockAlert, null=True, blank=True, on_delete=models.SET_NULL, related_name="recalls")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("donor recall")
        verbose_name_plural = _("donor recalls")
        ordering = ["-created_at"]


class RecallMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    campaign = models.ForeignKey(RecallCampaign, on_delete=models.CASCADE, related_name="messages")
    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="recalls")
    phone = models.CharField(max_length=20)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    gateway_id = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "donor"], name="uniq_recall_donor")]


# --- lookback -------------------------------------------------------------------------------------


class Lookback(models.Model):
    """Raised when a donor tests reactive: every earlier donation's components and where they went."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=13, blank=True, db_index=True)
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="lookbacks")
    trigger_donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="lookbacks")
    markers = models.JSONField(default=list)  # reactive markers
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name = _("lookback")
        verbose_name_plural = _("lookbacks")
        ordering = ["-raised_at"]


class LookbackItem(models.Model):
    """One earlier component in a lookback, with its status and whereabouts when the lookback was raised."""

    class Action(models.TextChoices):
        NONE = "", _("None yet")
        QUARANTINED = "quarantined", _("Withdrawn from stock")
        HOSPITAL_NOTIFIED = "hospital_notified", _("Hospital notified")
        RECIPIENT_TRACED = "recipient_traced", _("Recipient traced")

    lookback = models.ForeignKey(Lookback, on_delete=models.CASCADE, related_name="items")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="+")
    component = models.ForeignKey(Component, on_delete=models.PROTECT, related_name="+")
    status_at_lookback = models.CharField(max_length=12)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    holder = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    issued_to = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    request = models.ForeignKey(BloodRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    action_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lookback_id", "id"]
