"""Blood service pages, second half: a hospital's request form (phone-friendly) and its requests, the UDD's request
queue with one-click FEFO issue (which units were picked and why), transfers with their cold chain and the
transfer suggestions, statistics with exports, and the vein-to-vein trace page."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from siaga.core.errors import NotFound, ServiceError
from siaga.core.pages import page
from siaga.core.permissions import PermissionDenied

from . import services, stats
from . import services_issue as si
from . import trace as trace_mod
from .models import BloodRequest, ComponentType, Crossmatch, DiscardReason, Issue, Site

GROUP_CHOICES = [(f"{a}|{r}", services.group_label(a, r)) for a, r in services.GROUPS]


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _dec(value):
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ServiceError(_("%(value)s is not a number.") % {"value": value[:20]}, code="invalid_number") from None


def _group(value: str) -> tuple[str, str]:
    abo, _sep, rhd = (value or "").partition("|")
    return abo, rhd


def _is_supplier(actor, req: BloodRequest) -> bool:
    return actor.has("blood.manage") and (actor.is_platform_admin or req.supplier_id in actor.org_ids)


def _is_requester(actor, req: BloodRequest) -> bool:
    return actor.has("blood.request") and (actor.is_platform_admin or req.organization_id in actor.org_ids)


# --- requests -----------------------------------------------------------------------------------


@page("blood.view")
def requests(request, actor):
    """/darah/permintaan/: a hospital's own requests, or the UDD's queue (open first, cito first)."""
    qs = si.visible_requests(actor)
    show = request.GET.get("show", "open")
    if show == "open":
        qs = qs.filter(status__in=si.OPEN_REQUEST_STATUSES)
    qs = qs.prefetch_related("lines__component_type").order_by("urgency", "-created_at") if show == "open" \
        else qs.prefetch_related("lines__component_type").order_by("-created_at")
    context = {"requests": list(qs[:200]), "show": show, "can_request": actor.has("blood.request"),
               "can_manage": actor.has("blood.manage")}
    if request.GET.get("fragment"):
        return render(request, "blood/request_queue.html", context)
    return render(request, "blood/requests.html", context)


@page("blood.request")
def request_new(request, actor):
    """/darah/permintaan/baru/: the hospital's request form, made for a phone."""
    types = list(ComponentType.objects.filter(active=True, derived_from__isnull=True).order_by("sort_order"))
    form = {"urgency": "cito", "group": "", "payer": "bpjs"}
    if request.method == "POST":
        form = request.POST
        abo, rhd = _group(request.POST.get("group", ""))
        lines = []
        for i in range(3):
            code = request.POST.get(f"type_{i}", "")
            qty = _int(request.POST.get(f"qty_{i}"))
            if code and qty:
                lines.append({"component_type": code, "abo": abo, "rhd": rhd, "quantity": qty})
        try:
            needed_by = parse_datetime(request.POST.get("needed_by", "") or "") if request.POST.get("needed_by") \
                else None
            if needed_by is not None and timezone.is_naive(needed_by):
                needed_by = timezone.make_aware(needed_by)
            req = si.create_request(
                actor, urgency=request.POST.get("urgency", ""), patient_name=request.POST.get("patient_name", ""),
                patient_mrn=request.POST.get("patient_mrn", ""), patient_sex=request.POST.get("patient_sex", ""),
                patient_abo=abo, patient_rhd=rhd, ward=request.POST.get("ward", ""),
                diagnosis=request.POST.get("diagnosis", ""), hb_g_dl=_dec(request.POST.get("hb_g_dl")),
                payer=request.POST.get("payer", "bpjs"), payer_number=request.POST.get("payer_number", ""),
                needed_by=needed_by, lines=lines, supplier_site_id=_int(request.POST.get("supplier_site_id")),
            )
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Request %(number)s sent to %(udd)s.") % {"number": req.number,
                                                                                "udd": req.supplier_site.name})
            return redirect("blood:request", request_id=req.pk)
    own_banks = actor.scope_queryset(Site.objects.filter(kind=Site.Kind.HOSPITAL_BANK, active=True))
    suppliers = Site.objects.filter(kind=Site.Kind.UDD, active=True).order_by("name")
    default_supplier = next((s.supplier_id for s in own_banks if s.supplier_id), None)
    return render(request, "blood/request_new.html", {
        "types": types, "groups": GROUP_CHOICES, "form": form, "suppliers": suppliers,
        "default_supplier": default_supplier,
    })


@page("blood.view")
def request_detail(request, actor, request_id: int):
    """/darah/permintaan/<id>/: the request; for the UDD the FEFO plan, crossmatch, reserve and one-click issue."""
    req = si.get_request(actor, request_id)
    supplier, requester = _is_supplier(actor, req), _is_requester(actor, req)
    last_issue = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "issue" and supplier:
                last_issue = si.issue_request(
                    actor, req.pk, recipient_kind=request.POST.get("recipient_kind", ""),
                    recipient_name=request.POST.get("recipient_name", ""),
                    signed_by=request.POST.get("signed_by", ""), signature=request.POST.get("signature", ""),
                    recipient_phone=request.POST.get("recipient_phone", ""),
                    cool_box_temperature_c=_dec(request.POST.get("cool_box_temperature_c")),
                    allow_partial=request.POST.get("allow_partial") == "1")
                request.session["blood_last_issue"] = last_issue.pk
                messages.success(request, _("Issued %(n)s units on %(number)s.") % {
                    "n": last_issue.items.count(), "number": last_issue.number})
            elif action == "reserve" and supplier:
                out = si.reserve(actor, req.pk, minutes=_int(request.POST.get("minutes")))
                messages.success(request, _("%(n)s units reserved.") % {"n": len(out)})
            elif action == "accept" and supplier:
                si.accept_request(actor, req.pk)
                messages.success(request, _("Request accepted."))
            elif action == "reject" and supplier:
                si.reject_request(actor, req.pk, reason=request.POST.get("reason", ""))
                messages.success(request, _("Request rejected."))
            elif action == "crossmatch" and supplier:
                si.record_crossmatch(actor, _int(request.POST.get("line_id")) or 0,
                                     component_id=_int(request.POST.get("component_id")) or 0,
                                     result=request.POST.get("result", ""), method=request.POST.get("method", "gel"),
                                     sample_id=request.POST.get("sample_id", ""))
                messages.success(request, _("Crossmatch recorded."))
            elif action == "cancel" and requester:
                si.cancel_request(actor, req.pk, reason=request.POST.get("reason", ""))
                messages.success(request, _("Request cancelled."))
            elif action == "transfused" and (requester or supplier):
                si.record_transfusion(actor, _int(request.POST.get("item_id")) or 0)
                messages.success(request, _("Transfusion recorded."))
            elif action == "return" and supplier:
                ret = si.return_unit(actor, _int(request.POST.get("component_id")) or 0,
                                     temperature_c=_dec(request.POST.get("temperature_c")),
                                     minutes_out_of_storage=_int(request.POST.get("minutes_out_of_storage")),
                                     seal_intact=request.POST.get("seal_intact", "1") == "1",
                                     returned_by_name=request.POST.get("returned_by_name", ""))
                messages.success(request, _("Returned to stock.") if ret.accepted
                                 else _("Not accepted back: %(why)s. The unit was discarded.") % {"why": ret.reason})
            else:
                raise PermissionDenied(_("This action is not open to you on this request."))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("blood:request", request_id=req.pk)
    req = si.get_request(actor, request_id)
    issues = list(Issue.objects.filter(request=req).prefetch_related("items__component__component_type",
                                                                      "items__request_line", "readings")
                  .order_by("-issued_at"))
    just_issued = request.session.pop("blood_last_issue", None)
    plan = si.plan_issue(actor, req.pk) if supplier and req.status in si.OPEN_REQUEST_STATUSES else []
    context = {
        "req": req, "lines": list(req.lines.select_related("component_type").order_by("pk")), "issues": issues,
        "just_issued": just_issued, "plan": plan, "supplier": supplier, "requester": requester,
        "open": req.status in si.OPEN_REQUEST_STATUSES, "recipient_kinds": Issue.RecipientKind.choices,
        "crossmatches": list(Crossmatch.objects.filter(request_line__request=req).select_related("component")),
        "xm_methods": Crossmatch.Method.choices,
    }
    if request.GET.get("fragment"):
        return render(request, "blood/request_status.html", context)
    return render(request, "blood/request_detail.html", context)


# --- transfers ----------------------------------------------------------------------------------


@page("blood.view")
def transfers(request, actor):
    """/darah/mutasi/: shipments in and out, and suggestions of what to move where."""
    can_move = actor.has("blood.manage") or actor.has("blood.request")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if not can_move:
                raise PermissionDenied(_("Your role cannot move blood."))
            if action == "compute":
                out = si.suggest_transfers(actor, component_type=request.POST.get("component_type", "PRC"))
                messages.success(request, _("%(n)s suggestions.") % {"n": len(out)})
            elif action == "accept":
                sug = si.visible_suggestions(actor).filter(pk=_int(request.POST.get("suggestion_id"))).first()
                if sug is None:
                    raise NotFound(_("Transfer suggestion not found."))
                t = si.create_transfer(actor, from_site_id=sug.from_site_id, to_site_id=sug.to_site_id,
                                       component_ids=list(sug.component_ids), suggestion_id=sug.pk)
                messages.success(request, _("Transfer %(number)s planned.") % {"number": t.number})
                return redirect("blood:transfer", transfer_id=t.pk)
            elif action == "dismiss":
                si.dismiss_suggestion(actor, _int(request.POST.get("suggestion_id")) or 0)
                messages.success(request, _("Suggestion dismissed."))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("blood:transfers")
    return render(request, "blood/transfers.html", {
        "transfers": list(si.visible_transfers(actor).prefetch_related("items").order_by("-requested_at")[:100]),
        "suggestions": list(si.visible_suggestions(actor).filter(status="open").order_by("-score")[:50]),
        "can_move": can_move, "types": ComponentType.objects.filter(active=True, derived_from__isnull=True),
    })


@page("blood.view")
def transfer_detail(request, actor, transfer_id: int):
    t = si.get_transfer(actor, transfer_id)
    if request.method == "POST":
        action = request.POST.get("action", "")
        temp = request.POST.get("temperature_c", "")
        try:
            if action == "dispatch":
                si.dispatch_transfer(actor, t.pk, temperature_c=_dec(temp),
                                     courier_name=request.POST.get("courier_name", ""))
                messages.success(request, _("Sent."))
            elif action == "reading":
                si.add_transfer_reading(actor, t.pk, temperature_c=_dec(temp), place=request.POST.get("place", ""))
                messages.success(request, _("Reading recorded."))
            elif action == "receive":
                si.receive_transfer(actor, t.pk, temperature_c=_dec(temp))
                messages.success(request, _("Received."))
            elif action == "cancel":
                si.cancel_transfer(actor, t.pk, reason=request.POST.get("reason", ""))
                messages.success(request, _("Cancelled."))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("blood:transfer", transfer_id=t.pk)
    ids = actor.org_ids
    return render(request, "blood/transfer_detail.html", {
        "t": t, "items": t.items.select_related("component__component_type"), "readings": t.readings.all(),
        "sender": actor.is_platform_admin or t.organization_id in ids,
        "receiver": actor.is_platform_admin or t.to_organization_id in ids,
    })


# --- donor recall -------------------------------------------------------------------------------


def _masked_phone(phone: str) -> str:
    return f"•••• {phone[-4:]}" if len(phone) > 4 else "••••"


@page("blood.view")
def recalls(request, actor):
    """/darah/panggil/: recalls proposed when a group runs short (to check and send) and those sent."""
    can_manage = actor.has("blood.manage")
    if request.method == "POST":
        try:
            if not can_manage:
                raise PermissionDenied(_("Your role cannot recall donors."))
            abo, rhd = _group(request.POST.get("group", ""))
            c = si.propose_recall(actor, site_id=_int(request.POST.get("site_id")), abo=abo, rhd=rhd,
                                  reason=request.POST.get("reason", ""))
            messages.success(request, _("Recall proposed: check the donors, then send it."))
            return redirect("blood:recall", campaign_id=c.pk)
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("blood:recalls")
    campaigns = list(si.visible_recalls(actor).select_related("alert").order_by("-created_at")[:100])
    drafts = [c for c in campaigns if c.status == "draft"]
    udds = list(services.visible_sites(actor).filter(active=True, kind=Site.Kind.UDD,
                                                     organization_id__in=actor.org_ids)) if can_manage else []
    return render(request, "blood/recalls.html", {
        "drafts": drafts, "others": [c for c in campaigns if c.status != "draft"], "can_manage": can_manage,
        "udds": udds, "groups": GROUP_CHOICES,
    })


@page("blood.view")
def recall_detail(request, actor, campaign_id: int):
    """/darah/panggil/<id>/: a proposed recall with the donors it would text now (one action sends it), or a sent
    one with each text's status."""
    c = si.visible_recalls(actor).select_related("alert", "sent_by", "created_by").filter(pk=campaign_id).first()
    if c is None:
        raise NotFound(_("Recall not found."))
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "send":
                was = c.status
                c = si.send_recall(actor, c.pk)
                if was == "sent":
                    messages.info(request, _("This recall was already sent; nobody was texted again."))
                else:
                    messages.success(request, _("Recall sent to %(n)s donors.") % {"n": c.recipients})
            elif action == "withdraw":
                si.withdraw_recall(actor, c.pk)
                messages.success(request, _("Recall withdrawn; nobody was texted."))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect("blood:recall", campaign_id=c.pk)
    donors, sent = [], []
    if c.status == "draft":
        donors = sorted(si.recall_recipients(actor, c.site, c.abo, c.rhd,
                                             include_on_call_panel=c.on_call_panel).values(),
                        key=lambda d: (d.name, d.pk))
        for d in donors:
            d.masked_phone = _masked_phone(d.phone)
    else:
        sent = list(c.messages.select_related("donor").order_by("donor__name", "pk"))
        for m in sent:
            m.masked_phone = _masked_phone(m.phone)
    return render(request, "blood/recall_detail.html", {
        "c": c, "group": services.group_label(c.abo, c.rhd), "donors": donors, "sent": sent,
        "can_manage": actor.has("blood.manage") and c.organization_id in actor.org_ids,
        "alert_details": (c.alert.details if c.alert else {}),
    })


# --- statistics ---------------------------------------------------------------------------------


@page("blood.stats")
def blood_stats(request, actor):
    """/darah/statistik/: the month or year in figures, month by month, the forecast, exports."""
    year = _int(request.GET.get("year")) or timezone.localdate().year
    month = _int(request.GET.get("month"))
    try:
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            p, cols, rows = stats.export_rows(actor, request.GET.get("data", "issued"), year=year, month=month)
            name = f"siaga-darah-{request.GET.get('data', 'issued')}-{p.label}.{export}"
            if export == "csv":
                response = HttpResponse(stats.csv_text(p, cols, rows), content_type="text/csv; charset=utf-8")
            else:
                response = HttpResponse(stats.xlsx_bytes(p, cols, rows, dataset=request.GET.get("data", "issued")),
                                        content_type="application/vnd.openxmlformats-officedocument."
                                                     "spreadsheetml.sheet")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        summary = stats.summary(actor, year=year, month=month)
        monthly = stats.monthly(actor, year=year)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("blood:blood_stats")
    udds = list(services.visible_sites(actor).filter(kind=Site.Kind.UDD, active=True)) \
        if actor.has("blood.view") else []
    forecast = stats.forecast(actor, udds[0]) if udds else []
    return render(request, "blood/stats.html", {
        "s": summary, "monthly": monthly, "year": year, "month": month, "forecast": forecast,
        "forecast_site": udds[0] if udds else None, "reasons": dict(DiscardReason.choices),
        "months": range(1, 13),
    })


# --- traceability -------------------------------------------------------------------------------


@page("blood.view")
def trace(request, actor):
    """/darah/telusur/: vein to vein from a DIN, a unit, a patient's request or a donor, both ways on one page."""
    din = request.GET.get("din", "").strip()[:40]
    unit = _int(request.GET.get("unit"))
    req_id = _int(request.GET.get("request"))
    donor_id = _int(request.GET.get("donor"))
    context = {"din": din, "error": ""}
    try:
        if unit:
            context["unit_trace"] = trace_mod.trace_component(actor, unit)
        elif req_id:
            context["request_trace"] = trace_mod.trace_request(actor, req_id)
        elif donor_id:
            context["donor_trace"] = trace_mod.trace_donor(actor, donor_id)
        elif din:
            context["trace"] = services.trace_din(actor, din)
    except ServiceError as exc:
        context["error"] = exc.message
    return render(request, "blood/trace.html", context)

