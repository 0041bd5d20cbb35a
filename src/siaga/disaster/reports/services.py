"""Write and read path of disaster reports: field reports and their corrections, situation reports, 3W activities.

Who sees what: the event decides. Its lead organisation and the organisations taking part see every field
report, sitrep and 3W line of the event (siaga.disaster.services.get_event applies that rule); everyone else
is refused. A participant from another province reports in the event's area without the area being inside its
own geographic scope: taking part in the event is the explicit sharing record.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import Organization
from siaga.core.permissions import Actor, PermissionDenied, in_scope
from siaga.disaster import services as disaster_services
from siaga.disaster.models import DisasterEvent, FigureSource, Phase, TimelineEntry
from siaga.geo.models import Region

from . import relief
from . import sitrep as arithmetic
from .models import FIGURES, FieldReport, ResponseActivity, Sector, SituationReport

# A report may be stamped a little ahead of the server clock (a phone's clock), not more.
CLOCK_SKEW = dt.timedelta(minutes=5)
# No single area reports more people than this: a typo guard (an extra zero or two), not a statistic.
MAX_FIGURE = 5_000_000
SCHEMA_VERSION = 1


# --- helpers ------------------------------------------------------------------------------------------


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _participant_ids(ev: DisasterEvent) -> list[int]:
    return sorted(ev.participants.values_list("pk", flat=True))


def _share(ev: DisasterEvent, *extra_org_ids) -> list[int]:
    return sorted((set(_participant_ids(ev)) | {i for i in extra_org_ids if i}) - {ev.organization_id})


def _emit(name: str, payload: dict, ev: DisasterEvent, *extra_org_ids) -> None:
    # region_code "" on purpose: who receives it is decided by the event's lead and participants, and a
    # participant from another province must get it although the area lies outside its own scope.
    emit(name, payload, organization=ev.organization, region_code="", shared_with=_share(ev, *extra_org_ids))


def _is_lead(actor: Actor, ev: DisasterEvent) -> bool:
    return actor.is_platform_admin or ev.organization_id in actor.org_ids


def _require_org(actor: Actor) -> Organization:
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to report."), code="no_organization")
    return actor.organization


def event_area_codes(ev: DisasterEvent) -> list[str]:
    """The regions an event covers: its affected regions, else its own region."""
    codes = [c for c in (ev.affected_region_codes or []) if c]
    if not codes and ev.region_code:
        codes = [ev.region_code]
    return codes


def _validate_area(ev: DisasterEvent, code: str, levels: tuple[int, ...]) -> Region:
    code = (code or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ServiceError(_("Unknown region code: %(code)s.") % {"code": code or "-"}, code="unknown_region",
                           details={"region_code": code})
    if region.level not in levels:
        if levels == (3, 4):
            msg = _("Report per kecamatan or kelurahan; %(code)s (%(name)s) is neither.")
        else:
            msg = _("Record the activity for a kabupaten/kota, kecamatan or kelurahan; %(code)s (%(name)s) is "
                    "not one.")
        raise ServiceError(msg % {"code": code, "name": region.name}, code="area_level",
                           details={"region_code": code, "level": region.level})
    roots = event_area_codes(ev)
    if not roots:
        raise ServiceError(_("The event has no affected regions yet: its lead must add them first."),
                           code="event_without_area")
    if not any(in_scope(root, code) for root in roots):
        raise ServiceError(_("%(code)s (%(name)s) lies outside the regions of this event (%(roots)s).")
                           % {"code": code, "name": region.name, "roots": ", ".join(roots)},
                           code="area_outside_event", details={"region_code": code, "event_regions": roots})
    return region


def _validate_figures(figures: dict) -> dict[str, int]:
    unknown = sorted(set(figures or {}) - set(FIGURES))
    if unknown:
        raise ServiceError(_("Unknown figures: %(names)s.") % {"names": ", ".join(unknown)}, code="unknown_figure",
                           details={"figures": unknown})
    out, errors = {}, {}
    for name in FIGURES:
        value = (figures or {}).get(name, 0)
        if value is None:
            value = 0
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = _("must be a whole number")
        elif value < 0:
            errors[name] = _("cannot be negative")
        elif value > MAX_FIGURE:
            errors[name] = _("is implausibly large (over %(max)s)") % {"max": f"{MAX_FIGURE:,}".replace(",", ".")}
        else:
            out[name] = value
    if errors:
        listed = "; ".join(f"{name}: {msg}" for name, msg in errors.items())
        raise ServiceError(_("Some figures are not valid: %(list)s.") % {"list": listed}, code="invalid_figures",
                           details={"figures": errors})
    return out


def _validate_as_of(ev: DisasterEvent, reported_at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    reported_at = reported_at or now
    if reported_at.tzinfo is None:
        raise ServiceError(_("Times need a time zone."), code="naive_time")
    if reported_at > now + CLOCK_SKEW:
        raise ServiceError(_("The figures cannot be as of a time in the future."), code="future_time")
    if reported_at < ev.started_at:
        raise ServiceError(_("The figures cannot be as of a time before the event started."),
                           code="before_event_start")
    return reported_at


def _validate_source(source: str, source_name: str) -> tuple[str, str]:
    if source not in FigureSource.values:
        raise ServiceError(_("Choose the source of the figures: %(list)s.")
                           % {"list": ", ".join(FigureSource.values)}, code="invalid_source")
    source_name = (source_name or "").strip()[:200]
    if source == FigureSource.OTHER and not source_name:
        raise ServiceError(_("Name the source when it is neither PMI nor the government."),
                           code="source_name_required")
    return source, source_name


def _client_id(value: str) -> str:
    value = (value or "").strip()
    if len(value) > 64:
        raise ServiceError(_("The client id is too long (at most 64 characters)."), code="invalid_client_id")
    return value


def _report_payload(r: FieldReport) -> dict:
    return {"id": r.pk, "event_id": r.event_id, "series": str(r.series), "version": r.version,
            "region_code": r.region_code, "reported_at": r.reported_at.isoformat(), "source": r.source,
            "organization_id": r.organization_id, "figures": r.figures()}


# --- field reports ------------------------------------------------------------------------------------


def field_reports(actor: Actor, event_id: int, *, history: bool = False):
    """Field reports of an event the actor sees (current versions; every version with history=True)."""
    ev = disaster_services.get_event(actor, event_id)
    qs = FieldReport.objects.filter(event=ev).select_related("organization", "reporter")
    if not history:
        qs = qs.filter(is_current=True)
    return qs.order_by("-reported_at", "-id")


def get_field_report(actor: Actor, report_id: int) -> FieldReport:
    report = FieldReport.objects.select_related("organization", "reporter").filter(pk=report_id).first()
    if report is None:
        raise NotFound(_("Field report not found."))
    try:
        disaster_services.get_event(actor, report.event_id)
    except NotFound:
        raise NotFound(_("Field report not found.")) from None
    return report


def report_versions(actor: Actor, report_id: int) -> list[FieldReport]:
    report = get_field_report(actor, report_id)
    return list(FieldReport.objects.filter(series=report.series).select_related("reporter").order_by("version"))


def _existing_by_client_id(org: Organization, client_id: str, ev: DisasterEvent) -> FieldReport | None:
    if not client_id:
        return None
    found = FieldReport.objects.filter(organization=org, client_id=client_id).first()
    if found is not None and found.event_id != ev.pk:
        raise Conflict(_("This client id was already used for another event's report."), code="client_id_reused")
    return found


def create_field_report(actor: Actor, event_id: int, *, region_code: str, source: str, source_name: str = "",
                        reported_at: dt.datetime | None = None, figures: dict | None = None, notes: str = "",
                        client_id: str = "") -> tuple[FieldReport, bool]:
    """Record figures for one area of an event. Returns (report, created): a retry with the same client_id
    returns the report the first attempt created, and creates nothing."""
    actor.require("disaster.report")
    client_id = _client_id(client_id)
    org = _require_org(actor)
    ev = disaster_services.get_event(actor, event_id)
    existing = _existing_by_client_id(org, client_id, ev)
    if existing is not None:
        return existing, False
    figs = _validate_figures(figures or {})
    region = _validate_area(ev, region_code, (3, 4))
    as_of = _validate_as_of(ev, reported_at)
    source, source_name = _validate_source(source, source_name)
    try:
        with transaction.atomic():
            report = FieldReport.objects.create(event=ev, organization=org, region_code=region.code,
                                                reported_at=as_of, source=source, source_name=source_name,
                                                notes=(notes or "").strip()[:4000], reporter=_user(actor),
                                                client_id=client_id, **figs)
            audit.created(actor, report)
            _emit("field_report.recorded", _report_payload(report), ev, org.pk)
    except IntegrityError:
        # Two copies of one submission raced: the other one won; hand back its report.
        existing = _existing_by_client_id(org, client_id, ev)
        if existing is None:
            raise
        return existing, False
    return report, True


def correct_field_report(actor: Actor, report_id: int, *, reason: str, figures: dict | None = None,
                         reported_at: dt.datetime | None = None, source: str | None = None,
                         source_name: str | None = None, notes: str | None = None,
                         client_id: str = "") -> tuple[FieldReport, bool]:
    """Correct a field report: a new version of it becomes current, the old one stays as history.

    Only the reporting organisation (or one above it) or the event's lead corrects a report, and only the
    current version: correcting an outdated version is refused with the id of the current one.
    """
    actor.require("disaster.report")
    client_id = _client_id(client_id)
    org = _require_org(actor)
    old = get_field_report(actor, report_id)
    ev = DisasterEvent.objects.get(pk=old.event_id)
    if client_id:
        done = FieldReport.objects.filter(organization=org, client_id=client_id).first()
        if done is not None:
            if done.series != old.series:
                raise Conflict(_("This client id was already used for another report."), code="client_id_reused")
            return done, False
    if old.organization_id not in actor.org_ids and not _is_lead(actor, ev):
        raise PermissionDenied(_("Only the reporting organisation or the event's lead can correct this report."))
    if not (reason or "").strip():
        raise ServiceError(_("Say why the report is corrected."), code="reason_required")
    with transaction.atomic():
        current = FieldReport.objects.select_for_update().filter(series=old.series, is_current=True).first()
        if current is None or current.pk != old.pk:
            raise Conflict(_("This is not the current version of the report; correct the current one (#%(id)s).")
                           % {"id": current.pk if current else "-"}, code="stale_version",
                           details={"current_id": current.pk if current else None})
        merged = old.figures()
        merged.update(figures or {})
        figs = _validate_figures(merged)
        as_of = _validate_as_of(ev, reported_at) if reported_at is not None else old.reported_at
        src, src_name = _validate_source(source if source is not None else old.source,
                                         source_name if source_name is not None else old.source_name)
        FieldReport.objects.filter(pk=old.pk).update(is_current=False)
        new = FieldReport.objects.create(event=ev, organization=old.organization, region_code=old.region_code,
                                         reported_at=as_of, source=src, source_name=src_name,
                                         notes=(notes if notes is not None else old.notes).strip()[:4000],
                                         reporter=_user(actor), series=old.series, version=old.version + 1,
                                         correction_reason=reason.strip()[:300], client_id=client_id, **figs)
        # The new version carries series, version and correction reason: its audit row tells the whole story.
        audit.created(actor, new)
        _emit("field_report.recorded", _report_payload(new), ev, old.organization_id)
    return new, True


# --- situation reports --------------------------------------------------------------------------------


def _latest_by_area_source(ev: DisasterEvent, as_of: dt.datetime) -> dict[str, dict[str, arithmetic.SourceFigures]]:
    """For each area, the latest report of each source with figures as of `as_of` or earlier.

    Of a corrected report, the newest version whose as-of time is not after `as_of` counts: a correction of
    the same as-of time restates the past (earlier periods change too), a correction with a later as-of time
    is an update that counts from then on.
    """
    out: dict[str, dict[str, arithmetic.SourceFigures]] = {}
    newest: dict = {}
    for r in (FieldReport.objects.filter(event=ev, reported_at__lte=as_of).order_by("series", "-version")):
        newest.setdefault(r.series, r)
    rows = sorted(newest.values(), key=lambda r: (r.region_code, r.source, -r.reported_at.timestamp(), -r.pk))
    for r in rows:
        by_source = out.setdefault(r.region_code, {})
        if r.source not in by_source:  # the first row of each (area, source) is the latest
            by_source[r.source] = arithmetic.SourceFigures(source=r.source, source_name=r.source_name,
                                                           report_id=r.pk, reported_at=r.reported_at.isoformat(),
                                                           figures=r.figures())
    return out


def _figures_at(ev: DisasterEvent, as_of: dt.datetime):
    latest = _latest_by_area_source(ev, as_of)
    chosen = {code: arithmetic.choose_area(by_source) for code, by_source in latest.items()}
    totals = arithmetic.totals({code: {f: c.value for f, c in figs.items()} for code, figs in chosen.items()})
    return latest, chosen, totals


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event_info(ev: DisasterEvent) -> dict:
    participants = list(ev.participants.order_by("name").values("id", "name", "kind"))
    return {"id": ev.pk, "name": ev.name, "type": ev.type_id, "type_name": str(ev.type), "phase": ev.phase,
            "phase_label": str(ev.get_phase_display()), "started_at": _iso(ev.started_at),
            "ended_at": _iso(ev.ended_at), "region_code": ev.region_code,
            "affected_region_codes": list(ev.affected_region_codes or []),
            "lead": {"id": ev.organization_id, "name": ev.organization.name, "kind": ev.organization.kind},
            "participants": participants}


def _needs(actor: Actor, ev: DisasterEvent, areas: list[dict]) -> dict | None:
    """Relief needs for 7 days (Perka BNPB 7/2008): from the needs reports when there are any, else from the
    sitrep's chosen displaced and affected figures per area. None when neither has people in it."""
    from siaga.disaster import needs as needs_mod

    def lines(total):
        return [{"item": ln.item, "label": ln.label, "unit": ln.unit, "quantity": ln.quantity, "people": ln.people,
                 "basis": ln.basis} for ln in total]

    if ev.needs_reports.exists():
        est = disaster_services.needs_for_event(actor, ev.pk)
        return {"basis": "needs_reports", "profile": est["profile"], "days": est["days"],
                "displaced": est["displaced"], "affected": est["affected"], "lines": lines(est["total"])}
    groups, displaced, affected = [], 0, 0
    for area in areas:
        d = area["figures"].get("displaced", {}).get("value", 0)
        # Displaced people are part of the affected ones; sources may disagree, so never estimate fewer.
        a = max(area["figures"].get("affected", {}).get("value", 0), d)
        if d or a:
            groups.append(needs_mod.estimate(d, a, 7))
            displaced, affected = displaced + d, affected + a
    if not groups:
        return None
    return {"basis": "field_reports", "profile": needs_mod.DEFAULT_PROFILE, "days": 7, "displaced": displaced,
            "affected": affected, "lines": lines(needs_mod.add_lines(groups))}


def _activities(ev: DisasterEvent) -> list[dict]:
    rows = list(ResponseActivity.objects.filter(event=ev).select_related("organization"))
    names = _region_names({c for r in rows for c in _admin_codes(r.region_code)})
    return [_activity_dict(r, names) for r in rows]


def _previous_issued(ev: DisasterEvent) -> SituationReport | None:
    return SituationReport.objects.filter(event=ev).order_by("-number").first()


def _period(ev: DisasterEvent, start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    now = timezone.now()
    end = end or (ev.ended_at if ev.phase == Phase.CLOSED and ev.ended_at else now)
    if start is None:
        prev = _previous_issued(ev)
        start = prev.period_end if prev is not None and prev.period_end < end else ev.started_at
    for value in (start, end):
        if value.tzinfo is None:
            raise ServiceError(_("Times need a time zone."), code="naive_time")
    if end > now + CLOCK_SKEW:
        raise ServiceError(_("The period cannot end in the future."), code="future_time")
    if start >= end:
        raise ServiceError(_("The period must start before it ends."), code="invalid_period")
    return start, end


def compute_sitrep(actor: Actor, event_id: int, *, period_start: dt.datetime | None = None,
                   period_end: dt.datetime | None = None, final: bool = False) -> dict:
    """The situation report of an event for a period, computed from the field reports (see sitrep.py for the
    rule), with the relief sent read from shipments, distributions and mutual-aid grants (relief.py).
    Default period: from the end of the last issued sitrep (else the event's start) to now.

    A final report covers the whole event (start to close), and adds the timeline.
    """
    actor.require("disaster.view")
    ev = disaster_services.get_event(actor, event_id)
    if final:
        if ev.phase != Phase.CLOSED:
            raise Conflict(_("The final report is made when the event is closed."), code="event_not_closed")
        period_start, period_end = ev.started_at, ev.ended_at or timezone.now()
        if period_start >= period_end:
            period_end = period_start + dt.timedelta(seconds=1)
    else:
        period_start, period_end = _period(ev, period_start, period_end)
    latest, chosen, totals = _figures_at(ev, period_end)
    previous = _figures_at(ev, period_start)[2]
    names = _region_names(set(latest))
    areas = []
    for code in sorted(latest):
        region = names.get(code, {})
        areas.append({
            "region_code": code, "name": region.get("name", ""), "level": code.count(".") + 1,
            "figures": {f: {"value": c.value, "source": c.source, "source_name": c.source_name,
                            "report_id": c.report_id, "reported_at": c.reported_at, "rule": c.rule}
                        for f, c in chosen[code].items()},
            "sources": {s: {"report_id": sf.report_id, "reported_at": sf.reported_at, "source_name": sf.source_name,
                            "figures": sf.figures} for s, sf in latest[code].items()},
        })
    prev = _previous_issued(ev)
    data = {
        "schema_version": SCHEMA_VERSION,
        "kind": SituationReport.Kind.FINAL.value if final else SituationReport.Kind.SITREP.value,
        "event": _event_info(ev),
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "generated_at": timezone.now().isoformat(),
        "rules": {f: arithmetic.rule_for(f) for f in FIGURES},
        "areas": areas,
        "totals": totals,
        "previous_totals": previous,
        "change": arithmetic.change(totals, previous),
        "reports_in_period": FieldReport.objects.filter(event=ev, reported_at__gt=period_start,
                                                        reported_at__lte=period_end).count(),
        "previous_issued": {"id": prev.pk, "number": prev.number, "kind": prev.kind} if prev else None,
        "needs": _needs(actor, ev, areas),
        "activities": _activities(ev),
        # Relief sent, from logistics shipments and distributions and mutual-aid grants (see relief.py).
        "relief": relief.relief_sent(ev, period_start, period_end),
        "timeline": None,
    }
    if final:
        data["timeline"] = [{"at": t.at.isoformat(), "kind": t.kind, "kind_label": str(t.get_kind_display()),
                             "text": t.text, "organization": t.organization.name if t.organization else ""}
                            for t in TimelineEntry.objects.filter(event=ev).select_related("organization")]
    return data


def issue_sitrep(actor: Actor, event_id: int, *, period_start: dt.datetime | None = None,
                 period_end: dt.datetime | None = None, final: bool = False,
                 client_id: str = "") -> tuple[SituationReport, bool]:
    """Freeze the computed report as the next numbered sitrep of the event (or its final report).

    Only a disaster manager of the lead organisation issues: the numbered series is the lead's official one.
    A retry with the same client_id returns the sitrep already issued.
    """
    actor.require("disaster.manage")
    client_id = _client_id(client_id)
    ev = disaster_services.get_event(actor, event_id)
    if not _is_lead(actor, ev):
        raise PermissionDenied(_("Only the lead organisation issues situation reports for this event."))
    if client_id:
        done = SituationReport.objects.filter(event=ev, client_id=client_id).first()
        if done is not None:
            return done, False
    try:
        return _issue(actor, ev, period_start, period_end, final, client_id), True
    except IntegrityError:
        # Two copies of one request raced past the check above: the other one issued it.
        done = SituationReport.objects.filter(event=ev, client_id=client_id).first() if client_id else None
        if done is None:
            raise
        return done, False


def _issue(actor: Actor, ev: DisasterEvent, period_start, period_end, final: bool, client_id: str) -> SituationReport:
    with transaction.atomic():
        DisasterEvent.objects.select_for_update().filter(pk=ev.pk).first()  # numbers are handed out one at a time
        if final and SituationReport.objects.filter(event=ev, kind=SituationReport.Kind.FINAL).exists():
            raise Conflict(_("The final report of this event was already issued."), code="final_exists")
        data = compute_sitrep(actor, ev.pk, period_start=period_start, period_end=period_end, final=final)
        number = (SituationReport.objects.filter(event=ev).aggregate(n=Max("number"))["n"] or 0) + 1
        data["number"] = number
        sr = SituationReport.objects.create(
            event=ev, organization=ev.organization, region_code=ev.region_code,
            kind=SituationReport.Kind.FINAL if final else SituationReport.Kind.SITREP, number=number,
            period_start=dt.datetime.fromisoformat(data["period"]["start"]),
            period_end=dt.datetime.fromisoformat(data["period"]["end"]), data=data, issued_by=_user(actor),
            client_id=client_id)
        audit.created(actor, sr)
        _emit("sitrep.issued", {"id": sr.pk, "event_id": ev.pk, "kind": sr.kind, "number": number,
                                "period_start": data["period"]["start"], "period_end": data["period"]["end"],
                                "totals": data["totals"]}, ev)
    return sr


def issued_sitreps(actor: Actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    return SituationReport.objects.filter(event=ev).order_by("-number")


def get_issued_sitrep(actor: Actor, sitrep_id: int) -> SituationReport:
    sr = SituationReport.objects.filter(pk=sitrep_id).first()
    if sr is None:
        raise NotFound(_("Situation report not found."))
    try:
        disaster_services.get_event(actor, sr.event_id)
    except NotFound:
        raise NotFound(_("Situation report not found.")) from None
    return sr


# --- 3W: who does what where --------------------------------------------------------------------------


def _admin_codes(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _region_names(codes) -> dict[str, dict]:
    codes = set(codes)
    for code in list(codes):
        codes.update(_admin_codes(code))
    return {r["code"]: r for r in Region.objects.filter(code__in=codes).values("code", "name", "level")}


def _activity_dict(r: ResponseActivity, names: dict[str, dict]) -> dict:
    admin = {}
    for level, code in enumerate(_admin_codes(r.region_code), start=1):
        admin[f"adm{level}_code"] = code
        admin[f"adm{level}_name"] = names.get(code, {}).get("name", "")
    return {"id": r.pk, "event_id": r.event_id, "organization_id": r.organization_id,
            "organization": r.organization.name, "sector": r.sector, "sector_label": str(r.get_sector_display()),
            "activity": r.activity, "region_code": r.region_code, "reached": r.reached,
            "start_date": r.start_date.isoformat(), "end_date": r.end_date.isoformat() if r.end_date else None,
            "status": r.status, "status_label": str(r.get_status_display()), **admin}


def activities(actor: Actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    return ResponseActivity.objects.filter(event=ev).select_related("organization")


def activity_rows(actor: Actor, event_id: int) -> list[dict]:
    rows = list(activities(actor, event_id))
    names = _region_names({r.region_code for r in rows})
    return [_activity_dict(r, names) for r in rows]


def get_activity(actor: Actor, activity_id: int) -> ResponseActivity:
    act = ResponseActivity.objects.select_related("organization").filter(pk=activity_id).first()
    if act is None:
        raise NotFound(_("Activity not found."))
    try:
        disaster_services.get_event(actor, act.event_id)
    except NotFound:
        raise NotFound(_("Activity not found.")) from None
    return act


def _activity_org(actor: Actor, ev: DisasterEvent, organization_id: int | None) -> Organization:
    own = _require_org(actor)
    if organization_id is None or organization_id == own.pk:
        return own
    # The lead compiles the 3W in coordination meetings and may record a participant's line.
    allowed = set(_participant_ids(ev)) | {ev.organization_id}
    if not _is_lead(actor, ev) or organization_id not in allowed:
        raise PermissionDenied(_("Only the event's lead records activities for another taking-part organisation."))
    return Organization.objects.get(pk=organization_id)


def _validate_activity(ev, *, sector, activity, region_code, reached, start_date, end_date, status):
    if sector not in Sector.values:
        raise ServiceError(_("Unknown sector: %(s)s.") % {"s": sector}, code="invalid_sector",
                           details={"sectors": Sector.values})
    if status not in ResponseActivity.Status.values:
        raise ServiceError(_("Unknown status: %(s)s.") % {"s": status}, code="invalid_status")
    if not (activity or "").strip():
        raise ServiceError(_("Describe the activity."), code="activity_required")
    if isinstance(reached, bool) or not isinstance(reached, int) or reached < 0:
        raise ServiceError(_("People reached must be a whole number, not negative."), code="invalid_reached")
    if reached > MAX_FIGURE:
        raise ServiceError(_("People reached is implausibly large."), code="invalid_reached")
    if end_date is not None and end_date < start_date:
        raise ServiceError(_("The activity cannot end before it starts."), code="invalid_dates")
    if start_date > timezone.localdate() + dt.timedelta(days=366):
        raise ServiceError(_("The start date is too far ahead."), code="invalid_dates")
    return _validate_area(ev, region_code, (2, 3, 4))


def record_activity(actor: Actor, event_id: int, *, sector: str, activity: str, region_code: str, reached: int = 0,
                    start_date: dt.date, end_date: dt.date | None = None, status: str = "ongoing",
                    organization_id: int | None = None, client_id: str = "") -> tuple[ResponseActivity, bool]:
    """Add a 3W line for an event (the lead or a participant). A retry with the same client_id creates nothing."""
    actor.require("disaster.manage")
    client_id = _client_id(client_id)
    ev = disaster_services.get_event(actor, event_id)
    org = _activity_org(actor, ev, organization_id)
    if client_id:
        done = ResponseActivity.objects.filter(organization=org, client_id=client_id).first()
        if done is not None:
            return done, False
    region = _validate_activity(ev, sector=sector, activity=activity, region_code=region_code, reached=reached,
                                start_date=start_date, end_date=end_date, status=status)
    try:
        with transaction.atomic():
            act = ResponseActivity.objects.create(event=ev, organization=org, sector=sector,
                                                  activity=activity.strip()[:300], region_code=region.code,
                                                  reached=reached, start_date=start_date, end_date=end_date,
                                                  status=status, recorded_by=_user(actor), client_id=client_id)
            audit.created(actor, act)
            _emit("response_activity.recorded", _activity_event(act, True), ev, org.pk)
    except IntegrityError:
        done = ResponseActivity.objects.filter(organization=org, client_id=client_id).first() if client_id else None
        if done is None:
            raise
        return done, False
    return act, True


def _activity_event(act: ResponseActivity, created: bool) -> dict:
    return {"id": act.pk, "event_id": act.event_id, "organization_id": act.organization_id, "sector": act.sector,
            "region_code": act.region_code, "reached": act.reached, "status": act.status, "created": created}


UPDATABLE = ("sector", "activity", "region_code", "reached", "start_date", "end_date", "status")


def update_activity(actor: Actor, activity_id: int, **changes) -> ResponseActivity:
    """Change a 3W line (status, people reached, dates...): the recording organisation or the event's lead."""
    actor.require("disaster.manage")
    act = get_activity(actor, activity_id)
    ev = DisasterEvent.objects.get(pk=act.event_id)
    if act.organization_id not in actor.org_ids and not _is_lead(actor, ev):
        raise PermissionDenied(_("Only the organisation doing the activity or the event's lead changes it."))
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(unknown)},
                           code="not_updatable")
    with transaction.atomic():
        act = ResponseActivity.objects.select_for_update().get(pk=act.pk)
        before = audit.snapshot(act)
        values = {f: getattr(act, f) for f in UPDATABLE}
        values.update({k: v for k, v in changes.items() if v is not None or k == "end_date"})
        region = _validate_activity(ev, **values)
        values["region_code"] = region.code
        values["activity"] = values["activity"].strip()[:300]
        for k, v in values.items():
            setattr(act, k, v)
        act.save()
        audit.updated(actor, act, before)
        _emit("response_activity.recorded", _activity_event(act, False), ev, act.organization_id)
    return act


# --- PMI headquarters -----------------------------------------------------------------------------------


def require_national_token(actor: Actor, request) -> None:
    """The HQ endpoint answers only an API token of a national-scope organisation (PMI headquarters' system)."""
    if getattr(request, "auth_token", None) is None:
        raise PermissionDenied(_("This endpoint is for system-to-system use with an API token."),
                               code="token_required")
    org = actor.organization
    if org is None or org.region_code or actor.scope_code:
        raise PermissionDenied(_("Only a token of a national-scope organisation may use this endpoint."),
                               code="national_scope_required")
    actor.require("disaster.view")


def hq_events(actor: Actor):
    return disaster_services.visible_events(actor).select_related("type", "organization").order_by("-started_at")


def hq_event(actor: Actor, event_id: int) -> dict:
    """The event, its current sitrep, the issued sitreps and the 3W, as PMI headquarters' system reads them."""
    data = compute_sitrep(actor, event_id)
    issued = [{"id": s.pk, "kind": s.kind, "number": s.number, "period_start": s.period_start.isoformat(),
               "period_end": s.period_end.isoformat(), "issued_at": s.issued_at.isoformat(), "totals": s.data["totals"]}
              for s in issued_sitreps(actor, event_id)]
    return {"api_version": "1", "event": data["event"], "sitrep": data, "issued_sitreps": issued,
            "activities": data["activities"]}
