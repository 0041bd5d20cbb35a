"""The border zones PMI DKI Jakarta, Jawa Barat and Banten treat as a joint priority, as kab/kota code sets.

Codes checked against Kemendagri 2025 (shared/data/regions/wilayah_kemendagri_2025.csv; see
tests/disaster/readiness/test_border_zones.py). Seeded into BorderZone by a migration; admins may change them.
"""

# (code, name, kab/kota codes on both sides of the border)
BORDER_ZONES = [
    ("jakarta-bekasi-depok", "Jakarta – Bekasi – Depok",
     # Jakarta Utara, Selatan, Timur | Kabupaten Bekasi, Kota Bekasi, Kota Depok
     ["31.72", "31.74", "31.75", "32.16", "32.75", "32.76"]),
    ("jakarta-tangerang-tangsel", "Jakarta – Tangerang – Tangerang Selatan",
     # Jakarta Utara, Barat, Selatan | Kabupaten Tangerang, Kota Tangerang, Kota Tangerang Selatan
     ["31.72", "31.73", "31.74", "36.03", "36.71", "36.74"]),
    ("lebak-sukabumi", "Lebak – Sukabumi",
     # Kabupaten Lebak (Banten) | Kabupaten Sukabumi (Jawa Barat)
     ["36.02", "32.02"]),
]


def seed(BorderZone) -> int:
    """Insert or refresh the zones (idempotent); returns how many were written."""
    for order, (code, name, codes) in enumerate(BORDER_ZONES):
        BorderZone.objects.update_or_create(code=code, defaults={"name": name, "region_codes": codes,
                                                                 "sort_order": order * 10})
    return len(BORDER_ZONES)
