"""Indonesia's three time zones by Kemendagri region code: times are shown in the zone of the region they concern.

Western (WIB, UTC+7) is the default; central (WITA, UTC+8): Bali, Nusa Tenggara, South, East and North Kalimantan,
all of Sulawesi; eastern (WIT, UTC+9): Maluku, North Maluku and the Papua provinces.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings

WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_for_region(region_code: str) -> ZoneInfo:
    """Asia/Jayapura (WIT), Asia/Makassar (WITA) or Asia/Jakarta (WIB) for a region; the server's zone for ""."""
    province = (region_code or "").split(".")[0]
    if province in WIT_PROVINCES:
        return ZoneInfo("Asia/Jayapura")
    if province in WITA_PROVINCES:
        return ZoneInfo("Asia/Makassar")
    if province:
        return ZoneInfo("Asia/Jakarta")
    return ZoneInfo(settings.TIME_ZONE)


def zone_label(tz: ZoneInfo) -> str:
    """WIB, WITA or WIT (the zone's key for any other zone)."""
    return ZONE_LABELS.get(tz.key, tz.key)
