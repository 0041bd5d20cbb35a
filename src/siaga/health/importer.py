"""Reads the common posyandu spreadsheet (XLSX or CSV) into rows of children with their monthly measurements.

The layout, one row per child (title rows above the header are skipped; the header is the first row
with a "NIK" cell among the first 15):

    NIK | Nama | Tanggal Lahir | Jenis Kelamin | [Nama Ibu] | Tgl Ukur Jan | BB Jan | TB Jan | Cara Ukur Jan | Tgl Ukur Feb | ...

- child columns (any case, common variants): NIK; Nama / Nama Anak / Nama Balita; Tanggal Lahir / Tgl Lahir;
  Jenis Kelamin / JK / L/P (L, P, Laki-laki, Perempuan); optional Nama Ibu / Nama Orang Tua.
- each month is a group of up to four columns sharing a label (a month name or a number, before or after
  the field): the measurement date (Tgl Ukur, Tanggal), weight in kg (BB, Berat), length/height in cm
  (TB, PB, TB/PB, Tinggi, Panjang) and how it was measured (Cara Ukur, Posisi: berbaring/terlentang/PB/L
  for lying, berdiri/TB/H for standing; empty: the usual position for the age).
- dates as spreadsheet dates, or day first as text (15/03/2024, 15-03-2024) or ISO (2024-03-15);
  decimals with a comma or a point (9,5 or 9.5); CSV separated by commas or semicolons.

Parsing never raises on bad cells: every problem becomes a row error with the row number and column
header, in the user's language. Checking against the database (duplicate NIK, impossible values,
confirmation) is the services layer's job (services.import_spreadsheet).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 15

BASE_ALIASES = {
    "nik": ("nik", "no nik", "nomor nik", "nik anak"),
    "name": ("nama", "nama anak", "nama balita", "name", "nama lengkap"),
    "birth_date": ("tanggal lahir", "tgl lahir", "tgl. lahir", "tanggal lahir anak", "birth date", "date of birth",
                   "tgl lahir anak"),
    "sex": ("jenis kelamin", "jk", "l/p", "sex", "kelamin"),
    "mother_name": ("nama ibu", "nama orang tua", "nama ortu", "mother", "nama ibu kandung"),
}

# Longest first, so "tgl ukur" wins over "tgl" and "berat badan" over "berat".
FIELD_ALIASES = [
    ("measured_on", ("tanggal pengukuran", "tanggal penimbangan", "tanggal ukur", "tgl. ukur", "tgl ukur",
                     "tgl timbang", "tanggal timbang", "tanggal", "tgl", "date")),
    ("weight", ("berat badan", "bb (kg)", "bb kg", "berat", "bb", "weight")),
    ("length_height", ("tinggi badan", "panjang badan", "tb/pb", "pb/tb", "tb (cm)", "pb (cm)", "tinggi", "panjang",
                       "tb", "pb", "height", "length")),
    ("position", ("cara ukur", "cara pengukuran", "posisi", "position", "measured")),
]

LYING_WORDS = {"berbaring", "terlentang", "telentang", "tidur", "pb", "l", "lying", "panjang"}
STANDING_WORDS = {"berdiri", "tb", "h", "standing", "tinggi"}
MALE_WORDS = {"l", "laki-laki", "laki laki", "lakilaki", "laki", "lk", "m", "male", "1", "pria"}
FEMALE_WORDS = {"p", "perempuan", "pr", "f", "female", "2", "wanita"}


@dataclass
class RowError:
    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class ParsedMeasurement:
    group: str
    measured_on: dt.date
    weight_g: int | None
    length_height_mm: int | None
    position: str  # "lying", "standing" or "" (usual for the age)
    column: str  # the header of the group's first column, for error reports


@dataclass
class ParsedRow:
    row: int
    nik: str = ""
    name: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    mother_name: str = ""
    measurements: list[ParsedMeasurement] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ParsedSheet:
    rows: list[ParsedRow]
    errors: list[RowError]  # sheet-level: no header, missing columns, too many rows
    groups: list[str]


class ImportFileError(Exception):
    """The file cannot be read at all (not XLSX or CSV, too large, damaged)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --- cells ---------------------------------------------------------------------------------------


def _norm_header(value) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ").strip().lower()
    return re.sub(r"\s+", " ", text)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_DATE_DMY = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


def parse_date(value) -> dt.date:
    """A spreadsheet date, or text day first (15/03/2024) or ISO (2024-03-15); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    m = _DATE_ISO.match(text)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DATE_DMY.match(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
        return dt.date(year, month, day)
    raise ValueError(text)


def parse_decimal(value) -> Decimal:
    """9,5 / 9.5 / "9,5 kg" / 9.5 -> Decimal("9.5"); ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = _text(value).lower()
    text = re.sub(r"\s*(kg|cm|gr|g)\.?$", "", text)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+,\d+", text):  # 1.234,5 (thousands with dots)
        text = text.replace(".", "")
    text = text.replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        raise ValueError(value)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None


def parse_weight_g(value) -> int:
    """Weight typed in kilograms, as whole grams."""
    return int((parse_decimal(value) * 1000).to_integral_value())


def parse_length_mm(value) -> int:
    """Length/height typed in centimetres, as whole millimetres."""
    return int((parse_decimal(value) * 10).to_integral_value())


def parse_position(value) -> str:
    text = _text(value).lower()
    if not text:
        return ""
    if text in LYING_WORDS:
        return "lying"
    if text in STANDING_WORDS:
        return "standing"
    raise ValueError(text)


def parse_sex(value) -> str:
    text = _text(value).lower()
    if text in MALE_WORDS:
        return "M"
    if text in FEMALE_WORDS:
        return "F"
    raise ValueError(text)


def parse_nik(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A NIK typed as a number is kept by Excel to 15 significant digits: the 16th is lost (becomes 0),
        # so a numeric cell is refused rather than guessed.
        raise ValueError(value)
    return re.sub(r"[\s.\-']", "", _text(value))


# --- header --------------------------------------------------------------------------------------


@dataclass
class _Layout:
    header_row: int
    base: dict[str, int]  # field -> column index
    groups: dict[str, dict[str, int]]  # group label -> field -> column index
    group_order: list[str]
    headers: list[str]
    display: dict[str, str] = field(default_factory=dict)  # group label -> as written in the sheet


def _match_field(header: str) -> tuple[str, str] | None:
    """(field, group label) for a measurement column header, or None."""
    header = re.sub(r"\s+", " ", re.sub(r"\((?:kg|cm|gr|g)\)|\b(?:kg|cm)\b", " ", header)).strip()
    for name, aliases in FIELD_ALIASES:
        for alias in aliases:
            # the alias at the start or at the end, the rest is the group label
            for pattern in (rf"^{re.escape(alias)}(?:\b|\s|[-_:/(])(.*)$", rf"^(.*?)(?:\b|\s|[-_:/)])?{re.escape(alias)}$"):
                m = re.match(pattern, header)
                if m:
                    label = re.sub(r"^[\s\-_:/()]+|[\s\-_:/()]+$", "", m.group(1))
                    label = re.sub(r"^(ke|bulan|bln)\s*", "", label)
                    if label:
                        return name, label
    return None


def _find_layout(rows: list[list]) -> _Layout | None:
    for r_idx, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [_norm_header(c) for c in row]
        if "nik" not in headers and not any(h in BASE_ALIASES["nik"] for h in headers):
            continue
        base: dict[str, int] = {}
        groups: dict[str, dict[str, int]] = {}
        order: list[str] = []
        display: dict[str, str] = {}
        for c_idx, h in enumerate(headers):
            if not h:
                continue
            found = next((f for f, aliases in BASE_ALIASES.items() if h in aliases), None)
            if found and found not in base:
                base[found] = c_idx
                continue
            match = _match_field(h)
            if match:
                fname, label = match
                if label not in groups:
                    groups[label] = {}
                    order.append(label)
                    found_text = re.search(re.escape(label), _text(row[c_idx]), re.IGNORECASE)
                    display[label] = found_text.group(0) if found_text else label
                groups[label].setdefault(fname, c_idx)
        return _Layout(header_row=r_idx, base=base, groups=groups, group_order=order,
                       headers=[_text(c) for c in row], display=display)
    return None


# --- reading files -------------------------------------------------------------------------------


def read_rows(content: bytes, filename: str) -> list[list]:
    """The cells of the first sheet of an XLSX file, or of a CSV file (comma or semicolon)."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError("file_too_large", _("The file is larger than 5 MB."))
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return _read_xlsx(content)
    if name.endswith(".xls"):
        raise ImportFileError("unsupported_format", _("Old .xls files are not supported: save the sheet as .xlsx or .csv."))
    return _read_csv(content)


def _read_xlsx(content: bytes) -> list[list]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any damage in the file means the same to the user
        raise ImportFileError("unreadable_file", _("The file could not be read as an Excel (.xlsx) workbook.")) from None
    try:
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
                break
        return rows
    except Exception:  # noqa: BLE001 - read_only workbooks parse sheets lazily: damage shows up only here
        raise ImportFileError("unreadable_file", _("The file could not be read as an Excel (.xlsx) workbook.")) from None
    finally:
        wb.close()


def _read_csv(content: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise ImportFileError("unreadable_file", _("The file's text encoding is not supported."))
    # Title lines above the header have no separators: judge by the first lines together.
    head = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS + 5])
    delimiter = ";" if head.count(";") > head.count(",") else ","
    try:
        # newline="": a lone carriage return (old Mac files, a stray \r in a cell) ends a line or stays in its
        # quoted cell, as the csv module expects, instead of stopping the reader.
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ImportFileError("unreadable_file", _("The file could not be read as CSV (%(error)s).")
                              % {"error": str(exc)[:120]}) from None


# --- parsing -------------------------------------------------------------------------------------


def parse(content: bytes, filename: str) -> ParsedSheet:
    return parse_table(read_rows(content, filename))


def parse_table(rows: list[list]) -> ParsedSheet:
    """Rows of cells to children with measurements and row errors; never raises on bad cells."""
    layout = _find_layout(rows)
    if layout is None:
        return ParsedSheet([], [RowError(0, "", "no_header",
                                         _("No header row with a NIK column was found in the first 15 rows."))], [])
    sheet_errors = []
    labels = {"nik": "NIK", "name": _("name"), "birth_date": _("date of birth"), "sex": _("sex")}
    for needed in ("nik", "name", "birth_date", "sex"):
        if needed not in layout.base:
            sheet_errors.append(RowError(layout.header_row + 1, labels[needed], "missing_column",
                                         _("The column %(column)s is missing.") % {"column": labels[needed]}))
    if not layout.groups:
        sheet_errors.append(RowError(layout.header_row + 1, "", "no_measurements",
                                     _("No measurement columns (date, weight, height) were found.")))
    body = rows[layout.header_row + 1:]
    if len(body) > MAX_ROWS:
        sheet_errors.append(RowError(0, "", "too_many_rows",
                                     _("The file has more than %(n)d rows; split it.") % {"n": MAX_ROWS}))
    if sheet_errors:
        return ParsedSheet([], sheet_errors, layout.group_order)
    parsed = []
    for offset, row in enumerate(body):
        row_number = layout.header_row + 2 + offset
        cells = list(row) + [None] * (len(layout.headers) - len(row))
        if all(is_blank(c) for c in cells):
            continue
        parsed.append(_parse_row(row_number, cells, layout))
    return ParsedSheet(parsed, [], layout.group_order)


def _parse_row(row_number: int, cells: list, layout: _Layout) -> ParsedRow:
    out = ParsedRow(row=row_number)

    def header(idx: int) -> str:
        return layout.headers[idx] if idx < len(layout.headers) else ""

    def err(idx: int, code: str, message: str):
        out.errors.append(RowError(row_number, header(idx), code, message))

    b = layout.base
    try:
        out.nik = parse_nik(cells[b["nik"]])
        if not out.nik:
            err(b["nik"], "nik_required", _("The NIK is empty."))
        elif not re.fullmatch(r"\d{16}", out.nik):
            err(b["nik"], "nik_format", _("A NIK has exactly 16 digits (this one: %(value)s). Format the cell as "
                                          "text so the spreadsheet keeps all digits.") % {"value": out.nik[:20]})
    except ValueError:
        err(b["nik"], "nik_format", _("The NIK was stored as a number and lost digits: format the column as text."))
    out.name = _text(cells[b["name"]])[:200]
    if not out.name:
        err(b["name"], "name_required", _("The name is empty."))
    try:
        out.birth_date = parse_date(cells[b["birth_date"]])
    except (ValueError, TypeError):
        err(b["birth_date"], "invalid_date", _("The date of birth is not a date (use 15/03/2024)."))
    try:
        out.sex = parse_sex(cells[b["sex"]])
    except ValueError:
        err(b["sex"], "invalid_sex", _("Sex must be L (male) or P (female)."))
    if "mother_name" in b:
        out.mother_name = _text(cells[b["mother_name"]])[:200]

    for key in layout.group_order:
        cols = layout.groups[key]
        label = layout.display.get(key, key)
        values = {f: cells[i] for f, i in cols.items()}
        first_col = min(cols.values())
        if all(is_blank(v) for v in values.values()):
            continue
        measured_on = None
        if is_blank(values.get("measured_on")):
            err(cols.get("measured_on", first_col), "date_required",
                _("Month %(label)s: the measurement date is empty.") % {"label": label})
        else:
            try:
                measured_on = parse_date(values["measured_on"])
            except (ValueError, TypeError):
                err(cols["measured_on"], "invalid_date",
                    _("Month %(label)s: the measurement date is not a date (use 15/03/2024).") % {"label": label})
        weight_g = length_mm = None
        if not is_blank(values.get("weight")):
            try:
                weight_g = parse_weight_g(values["weight"])
            except ValueError:
                err(cols["weight"], "invalid_weight",
                    _("Month %(label)s: the weight is not a number in kg (use 9,5).") % {"label": label})
        if not is_blank(values.get("length_height")):
            try:
                length_mm = parse_length_mm(values["length_height"])
            except ValueError:
                err(cols["length_height"], "invalid_length",
                    _("Month %(label)s: the length/height is not a number in cm (use 75,5).") % {"label": label})
        position = ""
        if not is_blank(values.get("position")):
            try:
                position = parse_position(values["position"])
            except ValueError:
                err(cols["position"], "invalid_position",
                    _("Month %(label)s: write berbaring (lying) or berdiri (standing).") % {"label": label})
        if measured_on is not None and weight_g is None and length_mm is None and not any(
                e.column in (header(cols.get("weight", -1)), header(cols.get("length_height", -1))) for e in out.errors):
            err(first_col, "no_values", _("Month %(label)s: a date without weight or height.") % {"label": label})
            continue
        if measured_on is not None and (weight_g is not None or length_mm is not None):
            out.measurements.append(ParsedMeasurement(label, measured_on, weight_g, length_mm, position,
                                                      header(first_col)))
    return out
