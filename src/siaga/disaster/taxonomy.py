"""Disaster categories of Perka BNPB 8/2011 (standardisasi data kebencanaan), as seeded into DisasterType."""

# (code, Indonesian name, English name, group, CAP categories that usually announce it)
DISASTER_TYPES = [
    ("banjir", "Banjir", "Flood", "natural", ["Met"]),
    ("banjir_bandang", "Banjir bandang", "Flash flood", "natural", ["Met"]),
    ("banjir_longsor", "Banjir dan tanah longsor", "Flood and landslide", "natural", ["Met", "Geo"]),
    ("tanah_longsor", "Tanah longsor", "Landslide", "natural", ["Geo", "Met"]),
    ("gelombang_pasang", "Gelombang pasang / abrasi", "Tidal wave / abrasion", "natural", ["Met"]),
    ("puting_beliung", "Puting beliung", "Whirlwind (tornado)", "natural", ["Met"]),
    ("kekeringan", "Kekeringan", "Drought", "natural", ["Met", "Env"]),
    ("karhutla", "Kebakaran hutan dan lahan", "Forest and land fire", "natural", ["Fire", "Env"]),
    ("gempa_bumi", "Gempa bumi", "Earthquake", "natural", ["Geo"]),
    ("tsunami", "Tsunami", "Tsunami", "natural", ["Geo"]),
    ("gempa_tsunami", "Gempa bumi dan tsunami", "Earthquake and tsunami", "natural", ["Geo"]),
    ("letusan_gunung_api", "Letusan gunung api", "Volcanic eruption", "natural", ["Geo"]),
    ("cuaca_ekstrem", "Cuaca ekstrem", "Extreme weather", "natural", ["Met"]),
    ("kebakaran", "Kebakaran (gedung dan permukiman)", "Fire (buildings and settlements)", "non_natural", ["Fire"]),
    ("kecelakaan_transportasi", "Kecelakaan transportasi", "Transport accident", "non_natural", ["Transport"]),
    ("kecelakaan_industri", "Kecelakaan industri", "Industrial accident", "non_natural", ["Safety", "CBRNE"]),
    ("epidemi", "Epidemi dan wabah penyakit (KLB)", "Epidemic and disease outbreak", "non_natural", ["Health"]),
    ("gagal_teknologi", "Gagal teknologi", "Technological failure", "non_natural", ["Infra", "CBRNE"]),
    ("konflik_sosial", "Konflik sosial", "Social conflict", "social", ["Security"]),
    ("aksi_teror", "Aksi teror / sabotase", "Terror / sabotage", "social", ["Security"]),
]


def seed(DisasterType) -> int:
    """Insert or refresh the categories (idempotent); returns how many were written."""
    for order, (code, name_id, name_en, group, cap) in enumerate(DISASTER_TYPES):
        DisasterType.objects.update_or_create(
            code=code, defaults={"name_id": name_id, "name_en": name_en, "group": group, "cap_categories": cap,
                                 "sort_order": order * 10})
    return len(DISASTER_TYPES)
