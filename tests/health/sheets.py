"""Builds posyandu spreadsheets (CSV and XLSX) in the common layout for the import tests."""

from __future__ import annotations

import csv
import io

HEADER_BASE = ["No", "NIK", "Nama Anak", "Tanggal Lahir", "JK", "Nama Ibu"]


def header(months: list[str]) -> list[str]:
    out = list(HEADER_BASE)
    for m in months:
        out += [f"Tgl Ukur {m}", f"BB {m} (kg)", f"TB/PB {m} (cm)", f"Cara Ukur {m}"]
    return out


def csv_bytes(rows: list[list], delimiter: str = ";", title: str | None = "DATA BALITA POSYANDU MELATI") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    if title:
        w.writerow([title])
        w.writerow([])
    for r in rows:
        w.writerow(["" if c is None else c for c in r])
    return buf.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], title: str | None = "DATA BALITA") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
