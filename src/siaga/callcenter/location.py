"""Location helpers for the call center: the Indonesia bounds check, distances, and the local time zone of a region."""

from __future__ import annotations

import math

import numpy as np
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.geo.zones import zone_for_region  # noqa: F401  (re-exported: one mapping of zones)

# A generous box around the archipelago (Sabang to Merauke, Miangas to Rote) - a typo such as a
# swapped sign or lat/lng order lands far outside it.
LAT_MIN, LAT_MAX = -11.5, 6.5
LNG_MIN, LNG_MAX = 94.5, 141.5
EARTH_RADIUS_M = 6_371_008.8


def inside_indonesia(lat: float, lng: float) -> bool:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lng) and LAT_MIN <= lat <= LAT_MAX and LNG_MIN <= lng <= LNG_MAX


def check_coordinates(lat, lng) -> tuple[float | None, float | None]:
    """Both or neither, and inside Indonesia; raises ServiceError otherwise."""
    if lat is None and lng is None:
        return None, None
    if lat is None or lng is None:
        raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position")
    if not inside_indonesia(lat, lng):
        raise ServiceError(
            _("The position %(lat)s, %(lng)s lies outside Indonesia. Check the order of latitude and longitude.")
            % {"lat": lat, "lng": lng},
            code="outside_indonesia", details={"lat": lat, "lng": lng},
        )
    return float(lat), float(lng)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many_m(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """Distances in metres from one point to many (numpy arrays)."""
    p1 = np.radians(lat)
    p2 = np.radians(lats)
    dp = p2 - p1
    dl = np.radians(lngs - lng)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lng_min, lng_max) of a box that contains the circle of radius_m around the point."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlng = math.degrees(radius_m / (EARTH_RADIUS_M * max(0.01, math.cos(math.radians(lat)))))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


