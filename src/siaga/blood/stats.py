"""Blood service statistics per month and year, from the records: donations by donor type, bags collected, components
made, units issued per hospital and region, discards by reason with the outdate rate, the demand forecast per
group for the coming weeks, and the annual "kantong darah dilayani" figure; with CSV and XLSX exports.

Definitions:
- bags collected: donations recorded in the period (any procedure), with their volume in ml.
- components made: units prepared in the period from the UDD's donations, by component type.
- units issued: units handed over to hospitals in the period (IssueItem), minus those returned and accepted
  back to stock (a returned unit is counted again when issued again).
- kantong darah dilayani (bags served): units issued in the year, as above.
- outdated units: units that expired on a shelf or in transit (the expiry job or a discard for expiry).
- outdate rate: outdated units / (units issued + units discarded for any reason + outdated units), in %.
- demand forecast: per weekday, the mean units issued over the last 8 weeks, times the seasonal demand factors
  (e.g. the fasting month) of each coming day, summed per week.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import tabular
from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor, region_overlap_q
from siaga.geo.zones import ZONE_LABELS, zone_for_region

from . import services
from .models import (
    Component,
    ComponentEvent,
    ComponentType,
    Discard,
    DiscardReason,
    Donation,
    DonorType,
    IssueItem,
    Return,
    Site,
)



@dataclass
class Period:
    """A year, or one month of it, in a local zone: [start, end)."""

    year: int
    month: int | None
    tz: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, self.month or 1, 1, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        if self.month in (None, 12):
            return dt.datetime(self.year + 1, 1, 1, tzinfo=self.tz)
        return dt.datetime(self.year, self.month + 1, 1, tzinfo=self.tz)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)

    @property
    def zone(self) -> str:
        return ZONE_LABELS.get(self.tz.key, self.tz.key)


def period_for(actor: Actor, year: int | None = None, month: int | None = None) -> Period:
    today = timezone.localdate()
    year = year or today.year
    if not 2000 <= year <= today.year + 1:
        raise ServiceError(_("Choose a year between 2000 and next year."), code="invalid_year")
    if month is not None and not 1 <= month <= 12:
        raise ServiceError(_("A month is 1 to 12."), code="invalid_month")
    region = getattr(getattr(actor, "organization", None), "region_code", "") or actor.scope_code
    return Period(year, month, zone_for_region(region))


# --- scoping --------------------------------------------------------------------------------------


def _scoped(actor: Actor, qs, org_field: str = "organization", region_field: str | None = "region_code",
            extra_org_field: str | None = None):
    if actor.is_platform_admin:
        return qs
    cond = Q(**{f"{org_field}__in": actor.org_ids})
    if actor.scope_code and region_field:
        cond &= region_overlap_q(region_field, actor.scope_code)
    if extra_org_field:
        cond |= Q(**{f"{extra_org_field}__in": actor.org_ids})
    return qs.filter(cond)


def _issued_items(actor: Actor, p: Period, site_ids=None):
    """Units handed over in the period by the actor's UDDs or to the actor's hospitals, less accepted returns."""
    qs = IssueItem.objects.filter(issue__issued_at__gte=p.start, issue__issued_at__lt=p.end)
    qs = _scoped(actor, qs, "issue__organization", "issue__region_code", extra_org_field="issue__hospital")
    if site_ids:
        qs = qs.filter(issue__site_id__in=site_ids)
    accepted_back = Return.objects.filter(accepted=True).values("issue_item_id")
    return qs.exclude(pk__in=accepted_back)


def _outdated_ids(actor: Actor, p: Period, site_ids=None) -> set[int]:
    ev = ComponentEvent.objects.filter(to_status="expired", at__gte=p.start, at__lt=p.end)
    ev = _scoped(actor, ev, "component__organization", "component__region_code")
    disc = Discard.objects.filter(reason=DiscardReason.EXPIRED, discarded_at__gte=p.start, discarded_at__lt=p.end)
    disc = _scoped(actor, disc)
    if site_ids:
        ev = ev.filter(site_id__in=site_ids)
        disc = disc.filter(site_id__in=site_ids)
    return set(ev.values_list("component_id", flat=True)) | set(disc.values_list("component_id", flat=True))


def donations_in(actor: Actor, p: Period):
    """Donations collected in the period by the actor's UDDs (the annual report lists them)."""
    actor.require("blood.stats")
    return _scoped(actor, Donation.objects.filter(collected_at__gte=p.start, collected_at__lt=p.end))


def issued_in(actor: Actor, p: Period):
    """Units issued in the period, less accepted returns: the bags served, as summary() counts them."""
    actor.require("blood.stats")
    return _issued_items(actor, p)


def outdated_in(actor: Actor, p: Period) -> dict[int, dt.datetime]:
    """Outdated units of the period, each with the first moment it was recorded as expired."""
    actor.require("blood.stats")
    ids = _outdated_ids(actor, p)
    when: dict[int, dt.datetime] = {}
    for cid, at in (ComponentEvent.objects.filter(component_id__in=ids, to_status="expired")
                    .values_list("component_id", "at")):
        if p.start <= at < p.end and (cid not in when or at < when[cid]):
            when[cid] = at
    for cid, at in (Discard.objects.filter(component_id__in=ids, reason=DiscardReason.EXPIRED)
                    .values_list("component_id", "discarded_at")):
        if p.start <= at < p.end and (cid not in when or at < when[cid]):
            when[cid] = at
    return when


# --- the figures ----------------------------------------------------------------------------------


def summary(actor: Actor, *, year: int | None = None, month: int | None = None, site_ids=None) -> dict:
    """Every figure of one month or year for the actor's organisations (UDDs, hospitals, or a leader's area)."""
    actor.require("blood.stats")
    p = period_for(actor, year, month)
    donations = donations_in(actor, p)
    if site_ids:
        donations = donations.filter(site_id__in=site_ids)
    by_type = {t: 0 for t in DonorType.values}
    for row in donations.values("donor_type").annotate(n=Count("pk")):
        by_type[row["donor_type"]] = row["n"]
    bags = donations.aggregate(n=Count("pk"), ml=Sum("volume_ml"))
    comps = _scoped(actor, Component.objects.filter(prepared_at__gte=p.start, prepared_at__lt=p.end),
                    "origin_organization", "donation__region_code")
    if site_ids:
        comps = comps.filter(donation__site_id__in=site_ids)
    made = {r["component_type__code"]: r["n"] for r in comps.values("component_type__code").annotate(n=Count("pk"))}
    items = _issued_items(actor, p, site_ids)
    per_hospital = [
        {"hospital_id": r["issue__hospital_id"], "hospital": r["issue__hospital__name"],
         "region_code": r["issue__request__region_code"], "units": r["n"]}
        for r in items.values("issue__hospital_id", "issue__hospital__name", "issue__request__region_code")
        .annotate(n=Count("pk")).order_by("-n", "issue__hospital__name")]
    per_region: Counter = Counter()
    for r in per_hospital:
        per_region[r["region_code"][:5] or "-"] += r["units"]
    per_group = {services.group_label(r["component__abo"], r["component__rhd"]): r["n"]
                 for r in items.values("component__abo", "component__rhd").annotate(n=Count("pk"))}
    issued_total = sum(r["units"] for r in per_hospital)
    discards = _scoped(actor, Discard.objects.filter(discarded_at__gte=p.start, discarded_at__lt=p.end)
                       .exclude(reason=DiscardReason.PROCESSED))
    if site_ids:
        discards = discards.filter(site_id__in=site_ids)
    by_reason = {r["reason"]: r["n"] for r in discards.values("reason").annotate(n=Count("pk"))}
    outdated = _outdated_ids(actor, p, site_ids)
    other_discards = sum(n for reason, n in by_reason.items() if reason != DiscardReason.EXPIRED)
    by_reason[DiscardReason.EXPIRED] = len(outdated)
    disposed = issued_total + other_discards + len(outdated)
    outdate_rate = round(100.0 * len(outdated) / disposed, 2) if disposed else None
    return {
        "period": p.label, "year": p.year, "month": p.month, "zone": p.zone,
        "donations_by_type": by_type, "bags_collected": bags["n"] or 0, "volume_collected_ml": bags["ml"] or 0,
        "components_made": made, "issued_total": issued_total, "issued_per_hospital": per_hospital,
        "issued_per_region": dict(sorted(per_region.items())), "issued_per_group": per_group,
        "discards_by_reason": by_reason, "outdated": len(outdated), "outdate_rate_percent": outdate_rate,
        "kantong_darah_dilayani": issued_total,
    }


def monthly(actor: Actor, *, year: int | None = None, site_ids=None) -> list[dict]:
    """One row per month of the year: donations (voluntary, replacement), bags, units issued, discards, outdated."""
    actor.require("blood.stats")
    p = period_for(actor, year)
    rows = {m: {"month": m, "voluntary": 0, "replacement": 0, "bags_collected": 0, "issued": 0, "discarded": 0,
                "outdated": 0} for m in range(1, 13)}
    tzname = p.tz
    donations = donations_in(actor, p)
    items = _issued_items(actor, p, site_ids)
    discards = _scoped(actor, Discard.objects.filter(discarded_at__gte=p.start, discarded_at__lt=p.end)
                       .exclude(reason__in=[DiscardReason.PROCESSED, DiscardReason.EXPIRED]))
    if site_ids:
        donations = donations.filter(site_id__in=site_ids)
        discards = discards.filter(site_id__in=site_ids)
    for r in donations.annotate(m=ExtractMonth("collected_at", tzinfo=tzname)).values("m", "donor_type").annotate(
            n=Count("pk")):
        rows[r["m"]][r["donor_type"]] += r["n"]
        rows[r["m"]]["bags_collected"] += r["n"]
    for r in items.annotate(m=ExtractMonth("issue__issued_at", tzinfo=tzname)).values("m").annotate(n=Count("pk")):
        rows[r["m"]]["issued"] = r["n"]
    for r in discards.annotate(m=ExtractMonth("discarded_at", tzinfo=tzname)).values("m").annotate(n=Count("pk")):
        rows[r["m"]]["discarded"] = r["n"]
    ev = _scoped(actor, ComponentEvent.objects.filter(to_status="expired", at__gte=p.start, at__lt=p.end),
                 "component__organization", "component__region_code")
    for r in ev.annotate(m=ExtractMonth("at", tzinfo=tzname)).values("m").annotate(n=Count("component", distinct=True)):
        rows[r["m"]]["outdated"] = r["n"]
    return list(rows.values())


def forecast(actor: Actor, site: Site, *, weeks: int = 4, component_type: str = "PRC",
             on: dt.date | None = None) -> list[dict]:
    """Forecast units needed per group for each of the coming weeks (weekday means x seasonal factors)."""
    actor.require("blood.view")
    if not 1 <= weeks <= 12:
        raise ServiceError(_("Forecast 1 to 12 weeks ahead."), code="invalid_weeks")
    ctype = ComponentType.objects.filter(code=component_type).first()
    if ctype is None:
        raise ServiceError(_("Unknown component type: %(code)s.") % {"code": component_type}, code="unknown_component")
    on = on or timezone.localdate()
    factors = services._factors(site, on, on + dt.timedelta(weeks=weeks))
    out = []
    for abo, rhd in services.GROUPS:
        means = services.weekday_means(site, ctype, abo, rhd, on=on)
        per_week = []
        for w in range(weeks):
            total = 0.0
            factor_days = 0
            for d in range(7):
                day = on + dt.timedelta(days=7 * w + d)
                f = services._factor_on(factors, day)
                factor_days += f != 1.0
                total += (means[day.weekday()] if means else 0.0) * f
            per_week.append({"week_start": on + dt.timedelta(days=7 * w), "units": round(total, 1),
                             "seasonal": factor_days > 0})
        out.append({"group": services.group_label(abo, rhd), "abo": abo, "rhd": rhd, "weeks": per_week})
    return out


# --- exports --------------------------------------------------------------------------------------

DATASETS = {
    "monthly": ["month", "voluntary", "replacement", "bags_collected", "issued", "discarded", "outdated"],
    "issued": ["issue_number", "issued_at", "udd_site", "hospital", "region_code", "request_number", "urgency",
               "din", "component_type", "abo", "rhd", "substitution", "payer", "fee_bppd_rupiah"],
    "discards": ["discarded_at", "site", "din", "component_type", "abo", "rhd", "reason", "notes"],
}


def export_rows(actor: Actor, dataset: str, *, year: int | None = None, month: int | None = None):
    """(columns, list of row dicts) of one dataset."""
    actor.require("blood.stats")
    if dataset not in DATASETS:
        raise ServiceError(_("Unknown export: %(name)s.") % {"name": dataset[:30]}, code="invalid_dataset")
    p = period_for(actor, year, month)
    if dataset == "monthly":
        return p, DATASETS[dataset], monthly(actor, year=p.year)
    if dataset == "issued":
        qs = _issued_items(actor, p).select_related("issue__site", "issue__hospital", "issue__request",
                                                    "component__component_type").order_by("issue__issued_at", "pk")
        rows = [{"issue_number": i.issue.number, "issued_at": i.issue.issued_at, "udd_site": i.issue.site.name,
                 "hospital": i.issue.hospital.name, "region_code": i.issue.request.region_code,
                 "request_number": i.issue.request.number, "urgency": i.issue.request.urgency,
                 "din": i.component.din, "component_type": i.component.component_type.code, "abo": i.component.abo,
                 "rhd": i.component.rhd, "substitution": i.substitution, "payer": i.issue.payer,
                 "fee_bppd_rupiah": i.fee_bppd_rupiah} for i in qs.iterator(chunk_size=500)]
        return p, DATASETS[dataset], rows
    qs = (_scoped(actor, Discard.objects.filter(discarded_at__gte=p.start, discarded_at__lt=p.end))
          .select_related("site", "component__component_type").order_by("discarded_at", "pk"))
    rows = [{"discarded_at": d.discarded_at, "site": d.site.name, "din": d.component.din,
             "component_type": d.component.component_type.code, "abo": d.component.abo, "rhd": d.component.rhd,
             "reason": d.reason, "notes": d.notes} for d in qs.iterator(chunk_size=500)]
    return p, DATASETS[dataset], rows


# Every text column is guarded: names of sites, hospitals and notes are typed by users.
_ALL_TEXT = frozenset(c for cols in DATASETS.values() for c in cols)


def csv_text(p: Period, columns, rows) -> str:
    return tabular.csv_text(columns, rows, tz=p.tz, zone=p.zone, free_text=_ALL_TEXT)


def xlsx_bytes(p: Period, columns, rows, *, dataset: str) -> bytes:
    return tabular.xlsx_bytes(columns, rows, tz=p.tz, zone=p.zone, sheet=dataset, free_text=_ALL_TEXT,
                              info=[("period", p.label), ("time zone", f"{p.zone} ({p.tz.key})"),
                                    ("definitions", (__doc__ or "").strip())])
