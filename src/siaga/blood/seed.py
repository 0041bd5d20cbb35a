"""Reference data the blood service starts with: component types, product codes and donor eligibility rules.

Loaded by a data migration (existing rows are kept, so an administrator's edits survive) and editable
in the admin afterwards: shelf lives, storage ranges and eligibility limits are data, not code.

Eligibility figures: Peraturan Menteri Kesehatan No. 91 Tahun 2015 tentang Standar Pelayanan Transfusi
Darah, Lampiran (seleksi donor), as PMI publishes them for donors (e.g. PMI Kab. Sidoarjo "Syarat donor":
age 17-60, up to 65 for regular donors; weight >= 45 kg; systolic 100-170 (some branches print 180),
diastolic 70-100 mmHg; Hb 12.5-17.0 g/dL; at least 2 months since the last whole-blood donation, at most
5 a year). Pulse 50-100 regular and temperature <= 37.5 °C from the same standard's physical examination;
450 ml bags need >= 55 kg. Apheresis: at least 2 weeks between apheresis donations and at most 24 a year,
platelet count >= 150 x 10^3/uL; 8 weeks after a whole-blood donation before apheresis; 48 hours after
apheresis before whole blood.
"""

from __future__ import annotations

from decimal import Decimal

PERMENKES = "Permenkes 91/2015 Standar Pelayanan Transfusi Darah"

HOURS_PER_DAY = 24

# code, name, group, shelf life (hours), storage min, max (°C), frozen, usual volume ml, derived from, fee rupiah
COMPONENT_TYPES = [
    ("WB", "Whole blood (darah lengkap)", "whole_blood", 35 * 24, "2", "6", False, 350, None, 360000),
    ("PRC", "Packed red cells", "red_cells", 35 * 24, "2", "6", False, 200, None, 360000),
    ("PRC-LD", "Packed red cells, leukodepleted", "red_cells", 35 * 24, "2", "6", False, 200, None, 560000),
    ("PRC-W", "Washed red cells", "red_cells", 24, "2", "6", False, 200, "PRC", 460000),
    ("TC", "Thrombocyte concentrate", "platelets", 5 * 24, "20", "24", False, 50, None, 360000),
    ("TC-APH", "Apheresis platelets", "platelets", 5 * 24, "20", "24", False, 250, None, 3500000),
    ("FFP", "Fresh frozen plasma", "plasma", 365 * 24, "-40", "-18", True, 150, None, 360000),
    ("CRYO", "Cryoprecipitate (AHF)", "cryo", 365 * 24, "-40", "-18", True, 30, "FFP", 360000),
]

# Local product codes (the ICCBBA product description database can be loaded alongside through the admin).
# code, component type, description, anticoagulant, shelf-life override (hours) or None
PRODUCT_CODES = [
    ("WB-CPDA1", "WB", "Whole blood 350 ml, CPDA-1", "CPDA-1", None),
    ("WB-CPD", "WB", "Whole blood 450 ml, CPD", "CPD-SAGM", 21 * 24),
    ("PRC-CPDA1", "PRC", "Packed red cells from CPDA-1", "CPDA-1", None),
    ("PRC-SAGM", "PRC", "Packed red cells in SAGM", "CPD-SAGM", 42 * 24),
    ("PRCLD-SAGM", "PRC-LD", "Packed red cells leukodepleted in SAGM", "CPD-SAGM", 42 * 24),
    ("PRCW", "PRC-W", "Washed red cells in saline", "", None),
    ("TC-RDP", "TC", "Thrombocyte concentrate from whole blood", "", None),
    ("TC-APH", "TC-APH", "Apheresis platelets", "ACD-A", None),
    ("FFP", "FFP", "Fresh frozen plasma", "", None),
    ("CRYO", "CRYO", "Cryoprecipitate", "", None),
]

# code, parameter, procedure, previous procedure, bag ml, first_time, min, max, deferral days, reason
_WB = "whole_blood"
_APH_PLT = "apheresis_platelets"
_APH_PL = "apheresis_plasma"
ELIGIBILITY_RULES = [
    ("age-min", "age_years", "", "", None, None, "17", None, 0, "Donors must be at least 17 years old."),
    ("age-max-first-time", "age_years", "", "", None, True, None, "60", 0,
     "First-time donors must be 60 or younger."),
    ("age-max-regular", "age_years", "", "", None, False, None, "65", 0, "Regular donors must be 65 or younger."),
    ("weight-350", "weight_kg", _WB, "", 350, None, "45", None, 0, "A 350 ml donation needs at least 45 kg."),
    ("weight-450", "weight_kg", _WB, "", 450, None, "55", None, 0, "A 450 ml donation needs at least 55 kg."),
    ("weight-apheresis", "weight_kg", _APH_PLT, "", None, None, "55", None, 0, "Apheresis needs at least 55 kg."),
    ("weight-plasmapheresis", "weight_kg", _APH_PL, "", None, None, "55", None, 0,
     "Apheresis needs at least 55 kg."),
    ("hb", "hb_g_dl", "", "", None, None, "12.5", "17.0", 0, "Haemoglobin must be 12.5 to 17.0 g/dL."),
    ("systolic", "systolic_mmhg", "", "", None, None, "100", "170", 0,
     "Systolic blood pressure must be 100 to 170 mmHg."),
    ("diastolic", "diastolic_mmhg", "", "", None, None, "70", "100", 0,
     "Diastolic blood pressure must be 70 to 100 mmHg."),
    ("pulse", "pulse_bpm", "", "", None, None, "50", "100", 0, "Pulse must be regular, 50 to 100 per minute."),
    ("temperature", "temperature_c", "", "", None, None, None, "37.5", 7,
     "Body temperature must not exceed 37.5 °C."),
    ("interval-wb-after-wb", "interval_days", _WB, _WB, None, None, "60", None, 0,
     "At least 60 days must pass between whole-blood donations."),
    ("per-year-wb", "donations_per_year", _WB, _WB, None, None, None, "4", 0,
     "At most 5 whole-blood donations in 12 months."),
    ("interval-aph-after-wb", "interval_days", _APH_PLT, _WB, None, None, "56", None, 0,
     "Apheresis needs 8 weeks after a whole-blood donation."),
    ("interval-plasma-after-wb", "interval_days", _APH_PL, _WB, None, None, "56", None, 0,
     "Apheresis needs 8 weeks after a whole-blood donation."),
    ("interval-aph-after-aph", "interval_days", _APH_PLT, _APH_PLT, None, None, "14", None, 0,
     "At least 2 weeks must pass between apheresis donations."),
    ("interval-aph-after-plasma", "interval_days", _APH_PLT, _APH_PL, None, None, "14", None, 0,
     "At least 2 weeks must pass between apheresis donations."),
    ("interval-plasma-after-plasma", "interval_days", _APH_PL, _APH_PL, None, None, "14", None, 0,
     "At least 2 weeks must pass between apheresis donations."),
    ("interval-plasma-after-aph", "interval_days", _APH_PL, _APH_PLT, None, None, "14", None, 0,
     "At least 2 weeks must pass between apheresis donations."),
    ("interval-wb-after-aph", "interval_days", _WB, _APH_PLT, None, None, "2", None, 0,
     "Whole blood needs 48 hours after an apheresis donation."),
    ("interval-wb-after-plasma", "interval_days", _WB, _APH_PL, None, None, "2", None, 0,
     "Whole blood needs 48 hours after an apheresis donation."),
    ("per-year-apheresis", "donations_per_year", _APH_PLT, _APH_PLT, None, None, None, "23", 0,
     "At most 24 apheresis donations in 12 months."),
    ("platelets-apheresis", "platelet_count_k", _APH_PLT, "", None, None, "150", None, 0,
     "Platelet apheresis needs a platelet count of at least 150 ×10³/µL."),
]
# Note on "per-year" rules: the value checked is the number of donations already made in the last
# 12 months, so "at most 5 a year" means at most 4 before this one.


def seed_reference_data(apps) -> None:
    ComponentType = apps.get_model("blood", "ComponentType")
    ProductCode = apps.get_model("blood", "ProductCode")
    EligibilityRule = apps.get_model("blood", "EligibilityRule")
    types = {}
    for order, (code, name, group, hours, lo, hi, frozen, vol, derived, fee) in enumerate(COMPONENT_TYPES):
        types[code], _ = ComponentType.objects.get_or_create(code=code, defaults=dict(
            name=name, group=group, shelf_life_hours=hours, storage_min_c=Decimal(lo), storage_max_c=Decimal(hi),
            frozen=frozen, default_volume_ml=vol, default_fee_bppd_rupiah=fee, sort_order=(order + 1) * 10,
        ))
    for code, name, *_rest in COMPONENT_TYPES:
        derived = _rest[6]
        if derived and types[code].derived_from_id is None:
            types[code].derived_from = types[derived]
            types[code].save(update_fields=["derived_from"])
    for code, type_code, description, anticoagulant, hours in PRODUCT_CODES:
        ProductCode.objects.get_or_create(code=code, defaults=dict(
            component_type=types[type_code], description=description, anticoagulant=anticoagulant,
            shelf_life_hours=hours,
        ))
    for order, (code, param, proc, prev, bag, first, lo, hi, days, reason) in enumerate(ELIGIBILITY_RULES):
        EligibilityRule.objects.get_or_create(code=code, defaults=dict(
            parameter=param, procedure=proc, previous_procedure=prev, bag_volume_ml=bag, first_time=first,
            min_value=Decimal(lo) if lo is not None else None, max_value=Decimal(hi) if hi is not None else None,
            deferral_days=days, reason=reason, source=PERMENKES, sort_order=(order + 1) * 10,
        ))
