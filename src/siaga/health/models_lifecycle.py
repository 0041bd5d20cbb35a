"""Life-cycle service records: pregnancies and antenatal visits, immunisation and vitamin A doses, screenings.

Every row carries the person's organisation (the posyandu) and kelurahan code, so the same scoping as
persons applies: a kader sees and records for their own posyandu, the puskesmas for all below it.
Values are integers with units in their names (grams, millimetres, mmHg, mg/dL, g/L); the rules that
derive flags, gestational age, schedules and due lists live in siaga.health.lifecycle, and the
derived values are stored so dashboards (PWS) count without recomputing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "PregnancyOutcome", "Pregnancy", "ServicePlace", "Provider", "AntenatalVisit", "ImmunisationDose",
    "TdStatus", "VitaminACapsule", "VitaminADose", "ScreeningKind", "BloodSugarKind", "AdlLevel", "Screening", "FhirExport",
]


class _LifecycleRecord(models.Model):
    """Columns shared by every life-cycle record: tenancy, the posyandu day it was recorded in, who recorded it."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    # Kemendagri code of the person's kelurahan/desa.
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    session = models.ForeignKey("health.Session", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("posyandu day"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class _Confirmable(models.Model):
    """Implausible-but-possible values are stored only when someone confirmed them; who and when is kept."""

    implausible = models.BooleanField(_("needs confirmation"), default=False)
    implausible_fields = models.JSONField(default=list, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class ServicePlace(models.TextChoices):
    POSYANDU = "posyandu", _("posyandu")
    PUSKESMAS = "puskesmas", _("puskesmas")
    PUSTU = "pustu", _("puskesmas pembantu (pustu)")
    CLINIC = "clinic", _("clinic or private midwife")
    HOSPITAL = "hospital", _("hospital")
    SCHOOL = "school", _("school")
    HOME = "home", _("home visit")
    OTHER = "other", _("other")


class Provider(models.TextChoices):
    MIDWIFE = "midwife", _("midwife")
    DOCTOR = "doctor", _("doctor")
    NURSE = "nurse", _("nurse")
    KADER = "kader", _("kader")
    OTHER = "other", _("other")


# --- pregnancy ----------------------------------------------------------------------------------


class PregnancyOutcome(models.TextChoices):
    ONGOING = "ongoing", _("ongoing")
    LIVE_BIRTH = "live_birth", _("live birth")
    STILLBIRTH = "stillbirth", _("stillbirth")
    MISCARRIAGE = "miscarriage", _("miscarriage (abortus)")
    MATERNAL_DEATH = "maternal_death", _("maternal death")
    MOVED_AWAY = "moved_away", _("moved away")


class Pregnancy(_LifecycleRecord):
    """A pregnancy of a woman served by a posyandu, from the last menstrual period (HPHT) to its outcome."""

    person = models.ForeignKey("health.Person", on_delete=models.PROTECT, related_name="pregnancies")
    # HPHT (hari pertama haid terakhir): first day of the last menstrual period.
    lmp_date = models.DateField(_("last menstrual period (HPHT)"))
    # HPL (hari perkiraan lahir): Naegele's rule, HPHT + 280 days.
    edd = models.DateField(_("estimated due date (HPL)"))
    gravida = models.PositiveSmallIntegerField(_("gravida (G)"), default=1)
    para = models.PositiveSmallIntegerField(_("para (P)"), default=0)
    abortus = models.PositiveSmallIntegerField(_("abortus (A)"), default=0)
    previous_caesarean = models.BooleanField(_("previous caesarean section"), default=False)
    height_mm = models.PositiveIntegerField(_("mother's height (mm)"), null=True, blank=True)
    # Codes from siaga.health.lifecycle.PREGNANCY_RISK_FLAGS, derived from this record and all its visits.
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True)
    high_risk = models.BooleanField(_("high risk"), default=False, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=PregnancyOutcome.choices,
                               default=PregnancyOutcome.ONGOING, db_index=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("pregnancy")
        verbose_name_plural = _("pregnancies")
        ordering = ["-lmp_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(outcome="ongoing"),
                                    name="health_pregnancy_one_ongoing"),
        ]
        indexes = [models.Index(fields=["organization", "lmp_date"]), models.Index(fields=["region_code", "edd"])]

    def __str__(self):
        return f"{self.person} HPHT {self.lmp_date:%Y-%m-%d}"

    @property
    def ongoing(self) -> bool:
        return self.outcome == PregnancyOutcome.ONGOING


class TdStatus(models.IntegerChoices):
    """Tetanus-diphtheria immunisation status of a woman of childbearing age (T0 none .. T5 lifelong)."""

    T0 = 0, "T0"
    T1 = 1, "T1"
    T2 = 2, "T2"
    T3 = 3, "T3"
    T4 = 4, "T4"
    T5 = 5, "T5"


class AntenatalVisit(_LifecycleRecord, _Confirmable):
    """One antenatal care contact (K1..K6 and beyond) with its measurements and what was given."""

    pregnancy = models.ForeignKey(Pregnancy, on_delete=models.CASCADE, related_name="visits")
    visit_date = models.DateField(_("visit date"), db_index=True)
    gestational_age_days = models.PositiveSmallIntegerField(_("gestational age (days)"))
    trimester = models.PositiveSmallIntegerField(_("trimester"))
    # The contact's number in this pregnancy (1 = K1), recomputed when a visit arrives out of order.
    contact_number = models.PositiveSmallIntegerField(_("contact number (K)"), default=1)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    systolic_mmhg = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    hb_g_per_l = models.PositiveSmallIntegerField(_("haemoglobin (g/L)"), null=True, blank=True)
    # LiLA (lingkar lengan atas): mid-upper arm circumference.
    muac_mm = models.PositiveSmallIntegerField(_("MUAC / LiLA (mm)"), null=True, blank=True)
    fundal_height_mm = models.PositiveSmallIntegerField(_("fundal height (mm)"), null=True, blank=True)
    td_status = models.PositiveSmallIntegerField(_("Td status"), choices=TdStatus.choices, null=True, blank=True)
    td_given = models.BooleanField(_("Td dose given"), default=False)
    # TTD (tablet tambah darah): iron-folic acid tablets handed out at this visit.
    iron_tablets = models.PositiveSmallIntegerField(_("iron tablets given (TTD)"), default=0)
    # Signs observed at the visit that feed the pregnancy's risk flags (codes from lifecycle.VISIT_SIGNS).
    signs = models.JSONField(_("danger signs"), default=list, blank=True)
    risk_flags = models.JSONField(_("risk flags"), default=list, blank=True)
    provider = models.CharField(_("examined by"), max_length=10, choices=Provider.choices, default=Provider.MIDWIFE)
    provider_name = models.CharField(_("examiner's name"), max_length=200, blank=True)
    place = models.CharField(_("place"), max_length=10, choices=ServicePlace.choices, default=ServicePlace.POSYANDU)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("antenatal visit")
        verbose_name_plural = _("antenatal visits")
        ordering = ["pregnancy_id", "visit_date"]
        constraints = [models.UniqueConstraint(fields=["pregnancy", "visit_date"], name="health_anc_uniq_day")]
        indexes = [models.Index(fields=["organization", "visit_date"])]

    def __str__(self):
        return f"{self.pregnancy.person} K{self.contact_number} {self.visit_date:%Y-%m-%d}"


# --- immunisation and vitamin A -----------------------------------------------------------------


class ImmunisationDose(_LifecycleRecord):
    """One vaccine dose given to a person; vaccine codes and dose numbers follow lifecycle.SCHEDULE."""

    person = models.ForeignKey("health.Person", on_delete=models.PROTECT, related_name="immunisations")
    # Antigen code from lifecycle.VACCINES (hb0, bcg, opv, dpt_hb_hib, ipv, pcv, rv, mr, ...).
    vaccine = models.CharField(_("vaccine"), max_length=20, db_index=True)
    dose_number = models.PositiveSmallIntegerField(_("dose"))
    given_on = models.DateField(_("given on"), db_index=True)
    age_days = models.PositiveIntegerField(_("age (days)"))
    place = models.CharField(_("place"), max_length=10, choices=ServicePlace.choices, default=ServicePlace.POSYANDU)
    batch = models.CharField(_("batch"), max_length=40, blank=True)
    provider_name = models.CharField(_("given by"), max_length=200, blank=True)
    # Given outside the schedule's window (too early to count): kept, and said so on the card.
    early = models.BooleanField(_("given too early"), default=False)

    class Meta:
        verbose_name = _("immunisation dose")
        verbose_name_plural = _("immunisation doses")
        ordering = ["person_id", "given_on", "vaccine", "dose_number"]
        constraints = [
            models.UniqueConstraint(fields=["person", "vaccine", "dose_number"], name="health_immunisation_uniq_dose"),
        ]
        indexes = [models.Index(fields=["organization", "given_on"]), models.Index(fields=["region_code", "given_on"])]

    def __str__(self):
        return f"{self.person} {self.vaccine} {self.dose_number} {self.given_on:%Y-%m-%d}"


class VitaminACapsule(models.TextChoices):
    BLUE = "blue", _("blue capsule, 100,000 IU (6-11 months)")
    RED = "red", _("red capsule, 200,000 IU (12-59 months)")


class VitaminADose(_LifecycleRecord):
    """A vitamin A capsule given to a child; one per distribution round (February: Jan-Jun, August: Jul-Dec)."""

    person = models.ForeignKey("health.Person", on_delete=models.PROTECT, related_name="vitamin_a")
    given_on = models.DateField(_("given on"), db_index=True)
    age_days = models.PositiveIntegerField(_("age (days)"))
    capsule = models.CharField(_("capsule"), max_length=5, choices=VitaminACapsule.choices)
    # "YYYY-02" or "YYYY-08": the round the dose counts for (lifecycle.vitamin_a_round).
    round = models.CharField(_("round"), max_length=7, db_index=True)
    place = models.CharField(_("place"), max_length=10, choices=ServicePlace.choices, default=ServicePlace.POSYANDU)

    class Meta:
        verbose_name = _("vitamin A dose")
        verbose_name_plural = _("vitamin A doses")
        ordering = ["person_id", "given_on"]
        constraints = [models.UniqueConstraint(fields=["person", "round"], name="health_vitamin_a_uniq_round")]
        indexes = [models.Index(fields=["organization", "round"])]

    def __str__(self):
        return f"{self.person} {self.capsule} {self.given_on:%Y-%m-%d}"


# --- screening ----------------------------------------------------------------------------------


class ScreeningKind(models.TextChoices):
    SCHOOL_AGE = "school_age", _("school age (6-9 years)")
    ADOLESCENT = "adolescent", _("adolescent (10-18 years)")
    ADULT = "adult", _("adult (19-59 years)")
    ELDERLY = "elderly", _("elderly (60 years and over)")


class BloodSugarKind(models.TextChoices):
    FASTING = "fasting", _("fasting (GDP)")
    RANDOM = "random", _("random (GDS)")
    POST_PRANDIAL = "2h_pp", _("2 hours after a meal (GD2PP)")


class AdlLevel(models.TextChoices):
    """Barthel ADL index (0-20) bands used in the elderly service (Permenkes 67/2015)."""

    INDEPENDENT = "A", _("A: independent (20)")
    MILD = "B", _("B: mild dependence (12-19)")
    MODERATE = "C", _("C: moderate dependence (9-11)")
    SEVERE = "D", _("D: severe dependence (5-8)")
    TOTAL = "E", _("E: total dependence (0-4)")


class Screening(_LifecycleRecord, _Confirmable):
    """A health screening of a school-age child, adolescent, adult or elderly person, with derived flags."""

    person = models.ForeignKey("health.Person", on_delete=models.PROTECT, related_name="screenings")
    screened_on = models.DateField(_("screened on"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ScreeningKind.choices)
    age_years = models.PositiveSmallIntegerField(_("age (years)"))
    systolic_mmhg = models.PositiveSmallIntegerField(_("systolic (mmHg)"), null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(_("diastolic (mmHg)"), null=True, blank=True)
    blood_sugar_mg_dl = models.PositiveSmallIntegerField(_("blood sugar (mg/dL)"), null=True, blank=True)
    blood_sugar_kind = models.CharField(_("blood sugar test"), max_length=8, choices=BloodSugarKind.choices,
                                        blank=True)
    weight_g = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    height_mm = models.PositiveIntegerField(_("height (mm)"), null=True, blank=True)
    waist_mm = models.PositiveIntegerField(_("waist circumference (mm)"), null=True, blank=True)
    hb_g_per_l = models.PositiveSmallIntegerField(_("haemoglobin (g/L)"), null=True, blank=True)
    # Elderly: Barthel ADL score (0-20) and its band.
    adl_score = models.PositiveSmallIntegerField(_("ADL score (Barthel, 0-20)"), null=True, blank=True)
    adl_level = models.CharField(_("independence level"), max_length=1, choices=AdlLevel.choices, blank=True)
    # BMI x 10 (e.g. 273 = 27.3 kg/m²), derived; for under-19s the BMI-for-age z-score is used for the flags.
    bmi_x10 = models.PositiveSmallIntegerField(_("BMI x10"), null=True, blank=True)
    z_bmi = models.FloatField(_("BMI-for-age z"), null=True, blank=True)
    # Codes from lifecycle.SCREENING_FLAGS (hypertension, diabetes_suspected, obesity, central_obesity, anaemia...).
    flags = models.JSONField(_("flags"), default=list, blank=True)
    place = models.CharField(_("place"), max_length=10, choices=ServicePlace.choices, default=ServicePlace.POSYANDU)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        ordering = ["person_id", "screened_on"]
        constraints = [models.UniqueConstraint(fields=["person", "screened_on"], name="health_screening_uniq_day")]
        indexes = [models.Index(fields=["organization", "screened_on"]),
                   models.Index(fields=["region_code", "screened_on"])]

    def __str__(self):
        return f"{self.person} {self.kind} {self.screened_on:%Y-%m-%d}"


# --- FHIR export log ----------------------------------------------------------------------------


class FhirExport(models.Model):
    """One FHIR export: who took which persons' data out of Siaga, and whether NIKs were included (also audited)."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("region"), max_length=13, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    # "person" (one person's record) or "posyandu_month" (a posyandu's services in one month).
    scope = models.CharField(_("scope"), max_length=20)
    person = models.ForeignKey("health.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    posyandu = models.ForeignKey("health.Posyandu", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    month = models.CharField(_("month"), max_length=7, blank=True)  # YYYY-MM
    include_nik = models.BooleanField(_("NIK included"), default=False)
    resource_counts = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("FHIR export")
        verbose_name_plural = _("FHIR exports")
        ordering = ["-at", "-id"]

    def __str__(self):
        what = f"person {self.person_id}" if self.scope == "person" else f"posyandu {self.posyandu_id} {self.month}"
        return f"FHIR export {what}"
