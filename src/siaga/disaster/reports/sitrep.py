"""Situation report arithmetic: which source's figure counts for an area, and how areas add up (pure functions).

The rule, per figure and per area, over the latest report of each source (PMI, government, other) as of the
period end:

- dead and missing: the GOVERNMENT figure when the government has reported for the area. Deaths and missing
  persons are confirmed officially (BPBD / BNPB / the regent's office); a higher unconfirmed count elsewhere is
  shown beside it but not counted. Without a government report, the highest figure of the other sources.
- assisted: the PMI figure when PMI has reported for the area: people assisted is what PMI itself counts of
  its own service. Without a PMI report, the highest figure of the other sources.
- every other figure (injured, displaced, affected, damaged houses): the MAXIMUM over the sources. Early
  counts are usually incomplete, so the largest reported number is the best estimate of what has to be served.

Ties go to the source listed first in SOURCE_ORDER (government, PMI, other), so a result never depends on the
order the database returns rows in. Every chosen figure keeps its source, the report it came from and that
report's as-of time.

Totals: an area is a kecamatan or a kelurahan. A kecamatan report normally already includes its kelurahan, so
adding both would count people twice. Per figure, a kecamatan contributes the LARGER of its own chosen figure
and the sum of its kelurahan's chosen figures; a kelurahan whose kecamatan has no report of its own counts
directly. Change since the previous period is the totals at the period end minus the totals at the period
start, both computed with this same rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import FIGURES

GOVERNMENT, PMI, OTHER = "government", "pmi", "other"
SOURCE_ORDER = (GOVERNMENT, PMI, OTHER)

MAXIMUM = "maximum"
# figure -> the source preferred for it; every figure not listed here takes the MAXIMUM over the sources.
PREFERRED_SOURCE = {"dead": GOVERNMENT, "missing": GOVERNMENT, "assisted": PMI}


def rule_for(figure: str) -> str:
    """"government_first", "pmi_first" or "maximum": how the figure is chosen (shown in every sitrep)."""
    preferred = PREFERRED_SOURCE.get(figure)
    return f"{preferred}_first" if preferred else MAXIMUM


@dataclass(frozen=True)
class SourceFigures:
    """The latest report of one source for one area, as plain data."""

    source: str
    source_name: str
    report_id: int
    reported_at: str  # ISO 8601, UTC
    figures: dict[str, int]


@dataclass(frozen=True)
class Chosen:
    value: int
    source: str
    source_name: str
    report_id: int
    reported_at: str
    rule: str


def choose(figure: str, by_source: dict[str, SourceFigures]) -> Chosen | None:
    """The figure that counts for one area, following the rule above; None when no source reported."""
    if not by_source:
        return None
    rule = rule_for(figure)
    preferred = PREFERRED_SOURCE.get(figure)
    if preferred and preferred in by_source:
        pick = by_source[preferred]
    else:
        ordered = [by_source[s] for s in SOURCE_ORDER if s in by_source]
        # max() keeps the first of equal values, and `ordered` follows SOURCE_ORDER: ties go to that order.
        pick = max(ordered, key=lambda sf: sf.figures.get(figure, 0))
    return Chosen(value=pick.figures.get(figure, 0), source=pick.source, source_name=pick.source_name,
                  report_id=pick.report_id, reported_at=pick.reported_at, rule=rule)


def choose_area(by_source: dict[str, SourceFigures]) -> dict[str, Chosen]:
    return {f: c for f in FIGURES if (c := choose(f, by_source)) is not None}


def kecamatan_of(code: str) -> str:
    """The kecamatan code of a kelurahan code ("35.76.01.1006" -> "35.76.01"); a kecamatan is its own."""
    return ".".join(code.split(".")[:3])


def totals(chosen_by_area: dict[str, dict[str, int]]) -> dict[str, int]:
    """Add areas up without counting a kecamatan and its kelurahan twice (see the module docstring).

    chosen_by_area maps a kecamatan (3 parts) or kelurahan (4 parts) code to its chosen figures.
    """
    groups: dict[str, dict] = {}
    for code, figs in chosen_by_area.items():
        kec = kecamatan_of(code)
        group = groups.setdefault(kec, {"own": None, "kelurahan": []})
        if code.count(".") >= 3:
            group["kelurahan"].append(figs)
        else:
            group["own"] = figs
    out = {f: 0 for f in FIGURES}
    for group in groups.values():
        for f in FIGURES:
            below = sum(k.get(f, 0) for k in group["kelurahan"])
            own = group["own"].get(f, 0) if group["own"] is not None else 0
            out[f] += max(own, below)
    return out


def change(current: dict[str, int], previous: dict[str, int]) -> dict[str, int]:
    return {f: current.get(f, 0) - previous.get(f, 0) for f in FIGURES}
