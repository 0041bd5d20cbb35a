"""Exports of situation reports and the 3W: PDF (fpdf2), XLSX and CSV (siaga.core.tabular), HXL-tagged 3W CSV.

Every export is built from the sitrep dict that services.compute_sitrep returns (or the frozen copy of an issued
sitrep), so the file shows exactly the figures, sources and totals the page shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.core import tabular
from siaga.core.pdf import PdfDoc

from .models import FIGURE_LABELS, FIGURES

ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_of(data: dict) -> tuple[ZoneInfo, str]:
    from siaga.disaster.views import zone_for

    tz = zone_for(data["event"].get("region_code") or "")
    return tz, ZONE_NAMES.get(tz.key, tz.key)


def _local(iso: str | None, tz: ZoneInfo, zone: str) -> str:
    if not iso:
        return "-"
    return f"{dt.datetime.fromisoformat(iso).astimezone(tz):%d-%m-%Y %H:%M} {zone}"


def source_label(source: str) -> str:
    return {"government": _("Government"), "pmi": _("PMI"), "other": _("Other")}.get(source, source)


def source_text(fig: dict | None) -> str:
    if not fig:
        return ""
    label = source_label(fig["source"])
    return f"{label} ({fig['source_name']})" if fig.get("source_name") else label


def title(data: dict) -> str:
    if data.get("kind") == "final":
        return _("Final report")
    if data.get("number"):
        return _("Situation report no. %(n)s") % {"n": data["number"]}
    return _("Situation report (not issued)")


# --- CSV and XLSX -------------------------------------------------------------------------------------


def sitrep_columns() -> list[str]:
    cols = ["region_code", "area", "level"]
    for f in FIGURES:
        cols += [f, f"{f}_source"]
    return cols


def sitrep_rows(data: dict) -> list[dict]:
    rows = []
    for area in data["areas"]:
        row = {"region_code": area["region_code"], "area": area["name"], "level": area["level"]}
        for f in FIGURES:
            fig = area["figures"].get(f)
            row[f] = fig["value"] if fig else None
            row[f"{f}_source"] = source_text(fig)
        rows.append(row)
    rows.append({"region_code": "", "area": _("TOTAL"), **data["totals"]})
    rows.append({"region_code": "", "area": _("Change since the previous period"), **data["change"]})
    return rows


def _info(data: dict, tz, zone) -> list[tuple[str, str]]:
    ev = data["event"]
    info = [
        (_("Report"), title(data)),
        (_("Event"), ev["name"]),
        (_("Type"), ev["type_name"]),
        (_("Phase"), ev["phase_label"]),
        (_("Lead organisation"), ev["lead"]["name"]),
        (_("Taking part"), ", ".join(p["name"] for p in ev["participants"]) or "-"),
        (_("Period"), f"{_local(data['period']['start'], tz, zone)} - {_local(data['period']['end'], tz, zone)}"),
        (_("Times in"), zone),
        (_("Rule"), rule_text()),
    ]
    for f in FIGURES:
        info.append((str(FIGURE_LABELS[f]), _("%(total)s (change %(change)+d)")
                     % {"total": data["totals"][f], "change": data["change"][f]}))
    return info


def rule_text() -> str:
    return _("Per area, the latest report of each source as of the period end counts. Dead and missing: the "
             "government figure (officially confirmed) when there is one; people assisted: the PMI figure when "
             "there is one; every other figure: the highest reported. A kecamatan counts the larger of its own "
             "figure and the sum of its kelurahan.")


def sitrep_csv(data: dict) -> str:
    tz, zone = zone_of(data)
    return tabular.csv_text(sitrep_columns(), sitrep_rows(data), tz=tz, zone=zone,
                            free_text={"area"} | {f"{f}_source" for f in FIGURES})


def sitrep_xlsx(data: dict) -> bytes:
    tz, zone = zone_of(data)
    return tabular.xlsx_bytes(sitrep_columns(), sitrep_rows(data), tz=tz, zone=zone, sheet="sitrep",
                              info=_info(data, tz, zone), free_text={"area"} | {f"{f}_source" for f in FIGURES})


# --- HXL 3W ---------------------------------------------------------------------------------------------

# (column of the activity row, header a person reads, HXL hashtag with attributes). Hashtags and attributes
# from the HXL 1.1 core dictionary: #org, #sector, #activity, #adm1..#adm4 with +code / +name, #reached,
# #status, #date with +start / +end.
HXL_COLUMNS = (
    ("organization", gettext_lazy("Organisation"), "#org+name"),
    ("sector_label", gettext_lazy("Sector"), "#sector"),
    ("activity", gettext_lazy("Activity"), "#activity"),
    ("adm1_code", gettext_lazy("Province code"), "#adm1+code"),
    ("adm1_name", gettext_lazy("Province"), "#adm1+name"),
    ("adm2_code", gettext_lazy("Kabupaten/kota code"), "#adm2+code"),
    ("adm2_name", gettext_lazy("Kabupaten/kota"), "#adm2+name"),
    ("adm3_code", gettext_lazy("Kecamatan code"), "#adm3+code"),
    ("adm3_name", gettext_lazy("Kecamatan"), "#adm3+name"),
    ("adm4_code", gettext_lazy("Kelurahan code"), "#adm4+code"),
    ("adm4_name", gettext_lazy("Kelurahan"), "#adm4+name"),
    ("reached", gettext_lazy("People reached"), "#reached"),
    ("status_label", gettext_lazy("Status"), "#status"),
    ("start_date", gettext_lazy("Start date"), "#date+start"),
    ("end_date", gettext_lazy("End date"), "#date+end"),
)
HXL_FREE_TEXT = {"organization", "activity"}


def hxl_3w_csv(rows: list[dict]) -> str:
    """The 3W as CSV: a header row people read, the HXL hashtag row, then one row per activity."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([str(label) for _col, label, _tag in HXL_COLUMNS])
    writer.writerow([tag for _col, _label, tag in HXL_COLUMNS])
    for row in rows:
        writer.writerow(["" if row.get(col) is None else tabular.guard(col, row.get(col), HXL_FREE_TEXT)
                         for col, _label, _tag in HXL_COLUMNS])
    return buf.getvalue()


# --- PDF ----------------------------------------------------------------------------------------------

def _source_ref(x: dict) -> str:
    """A relief figure's record as a reader finds it: "Shipment #12", "Distribution #3", "Mutual aid #7"."""
    label = {"shipment": _("Shipment #%(id)s"), "distribution": _("Distribution #%(id)s"),
             "mutual_aid": _("Mutual aid #%(id)s")}[x["kind"]]
    return label % {"id": x["id"]}


def sitrep_pdf(data: dict) -> bytes:
    tz, zone = zone_of(data)
    ev = data["event"]
    doc = PdfDoc(f"{title(data)} - {ev['name']}")
    doc.heading(f"{title(data)}: {ev['name']}", 14)
    doc.para("\n".join([
        f"{_('Type')}: {ev['type_name']} · {_('Phase')}: {ev['phase_label']}",
        f"{_('Lead organisation')}: {ev['lead']['name']}",
        f"{_('Taking part')}: {', '.join(p['name'] for p in ev['participants']) or '-'}",
        f"{_('Period')}: {_local(data['period']['start'], tz, zone)} - {_local(data['period']['end'], tz, zone)}",
        _("Event started: %(at)s") % {"at": _local(ev['started_at'], tz, zone)}
        + (f" · {_('closed')}: {_local(ev['ended_at'], tz, zone)}" if ev.get("ended_at") else ""),
        _("Generated: %(at)s") % {"at": _local(data['generated_at'], tz, zone)},
    ]))
    doc.heading(_("Totals"))
    doc.table([_("Figure"), _("Total"), _("Previous period"), _("Change")],
              [[FIGURE_LABELS[f], data["totals"][f], data["previous_totals"][f], f"{data['change'][f]:+d}"]
               for f in FIGURES], (90, 40, 40, 40))
    doc.heading(_("Figures per area and their source"))
    if data["areas"]:
        head = [_("Area")] + [str(FIGURE_LABELS[f]) for f in FIGURES]
        rows = []
        for area in data["areas"]:
            row = [f"{area['name']} ({area['region_code']})"]
            for f in FIGURES:
                fig = area["figures"].get(f)
                row.append(f"{fig['value']}\n{source_text(fig)}" if fig else "-")
            rows.append(row)
        doc.table(head, rows, (41,) + (26,) * len(FIGURES), size=7)
    else:
        doc.para(_("No field reports for this period yet."))
    doc.para(rule_text(), size=8)
    if data.get("needs"):
        needs = data["needs"]
        doc.heading(_("Relief needs for %(days)s days") % {"days": needs["days"]})
        basis = (_("from the needs reports") if needs["basis"] == "needs_reports"
                 else _("from the displaced and affected figures above"))
        doc.para(_("%(displaced)s displaced, %(affected)s affected people; estimated %(basis)s.")
                 % {"displaced": needs["displaced"], "affected": needs["affected"], "basis": basis}, size=8)
        doc.table([_("Item"), _("Quantity"), _("Unit"), _("Basis")],
                  [[ln["label"], ln["quantity"], ln["unit"], ln["basis"]] for ln in needs["lines"]],
                  (70, 30, 25, 140))
    relief = (data.get("relief") or {}).get("lines")
    if relief:
        doc.heading(_("Relief sent"))
        doc.table([_("Item"), _("Shipped to the area"), _("Distributed to households"), _("Total sent"),
                   _("Lent through mutual aid"), _("Records")],
                  [[ln["name"], ln["shipped"]["quantity"], ln["distributed"]["quantity"], ln["total"],
                    ln["mutual_aid"]["quantity"],
                    ", ".join(f"{_source_ref(x)}" for part in ("shipped", "distributed", "mutual_aid")
                              for x in ln[part]["sources"])] for ln in relief],
                  (50, 28, 28, 22, 28, 114))
    if data.get("activities"):
        doc.heading(_("Who does what where (3W)"))
        doc.table([_("Organisation"), _("Sector"), _("Activity"), _("Area"), _("People reached"), _("Status")],
                  [[a["organization"], a["sector_label"], a["activity"],
                    " / ".join(a.get(f"adm{i}_name", "") for i in (2, 3, 4) if a.get(f"adm{i}_name")),
                    a["reached"], a["status_label"]] for a in data["activities"]],
                  (50, 35, 80, 60, 25, 20))
    if data.get("timeline"):
        doc.heading(_("Timeline"))
        doc.table([_("Time"), _("Kind"), _("What happened"), _("Organisation")],
                  [[_local(t["at"], tz, zone), t["kind_label"], t["text"], t["organization"]]
                   for t in data["timeline"]], (40, 35, 150, 45))
    return doc.output()
