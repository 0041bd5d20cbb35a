"""Property tests of the parsers hostile files reach: anything in gives a result or a clean refusal, never a crash.

Already covered elsewhere, not repeated here: CAP text and bytes and the CAP writer's round trip
(tests/disaster/test_cap_properties.py), AML SMS and HTTPS payloads with their round trip
(tests/callcenter/test_aml_parse.py), BMKG earthquake JSON (tests/disaster/test_quake_properties.py), the
posyandu sheet's cells and its CSV/XLSX round trip (tests/health/test_import_parser_properties.py) and the
ISBT 128 check character (tests/blood/test_isbt_check_character.py). This file adds what those leave out:
whole files of arbitrary or damaged bytes, GeoJSON boundary imports, the logistics item catalogue, the
ISBT 128 reader on arbitrary input with its round trip, and CAP alerts carried all the way through the import.
"""

from __future__ import annotations

import csv
import io
import json
import string
import zipfile

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from siaga.blood import isbt
from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.disaster.logistics import services as logistics
from siaga.geo import services as geo
from siaga.health import importer
from tests.health.sheets import header, xlsx_bytes

DB_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)


# --- ISBT 128 ---------------------------------------------------------------------------------------

def _read_din(text, **kw):
    try:
        return isbt.parse(text, **kw)
    except isbt.InvalidDin as exc:
        assert exc.message and exc.code
        return None


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
@example("A9999260000\u0664\u0662")  # Arabic-Indic digits matched \d and were kept in the DIN
@example("\uff21\uff19\uff19\uff19\uff19 26 000001")
def test_any_text_is_a_din_or_an_invalid_din(text):
    din = _read_din(text)
    if din is not None:
        # Whatever was typed, what is kept is plain ISBT 128: never a full-width or Arabic-Indic digit.
        assert isbt.DIN_RE.match(din.din) and din.din.isascii()
        assert din.flags.isascii() and din.flags.isdigit() and len(din.flags) == 2


din_like = st.text(alphabet=string.ascii_uppercase + string.digits + " =-*\u0663\uff11\u00df\u0131", max_size=24)


@settings(max_examples=400, deadline=None)
@given(din_like)
def test_din_like_noise_is_a_din_or_an_invalid_din(text):
    din = _read_din(text)
    if din is not None:
        assert isbt.DIN_RE.match(din.din) and din.din.isascii()


fins = st.builds(lambda a, b: a + b, st.sampled_from(string.ascii_uppercase + string.digits),
                 st.text(alphabet=string.digits, min_size=4, max_size=4))
dins = st.builds(isbt.make_din, fins, st.integers(2000, 2099), st.integers(1, 999_999),
                 st.text(alphabet=string.digits, min_size=2, max_size=2))


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=5, max_size=5), st.integers(2000, 2099), st.integers(1, 999_999))
@example("A\uff19999", 2026, 1)
def test_a_made_din_is_plain_isbt_128_or_refused(fin, year, sequence):
    try:
        din = isbt.make_din(fin, year, sequence)
    except isbt.InvalidDin as exc:
        assert exc.message
        return
    assert isbt.DIN_RE.match(din.din) and din.din.isascii()


@settings(max_examples=300, deadline=None)
@given(dins)
def test_every_printed_or_scanned_form_reads_back(din):
    assert isbt.parse(din.eye_readable, require_check=True) == din
    assert isbt.parse(din.barcode_data) == din
    assert isbt.parse(din.din).din == din.din
    assert isbt.parse(din.eye_readable.lower()) == din


@settings(max_examples=300, deadline=None)
@given(dins, st.data())
def test_a_mistyped_eye_readable_form_is_never_read_as_another_donation(din, data):
    """One character changed in "FIN YY NNNNNN FF C": refused, or read as the same donation (flags aside)."""
    text = din.eye_readable
    pos = data.draw(st.sampled_from([i for i, c in enumerate(text) if c != " " and i < len(text) - 2]))
    new = data.draw(st.sampled_from(string.ascii_uppercase + string.digits))
    assume(new != text[pos])
    read = _read_din(text[:pos] + new + text[pos + 1:])
    assert read is None or read.din == din.din


# --- posyandu spreadsheet ---------------------------------------------------------------------------

def _read_sheet(content, name):
    try:
        return importer.parse(content, name)
    except importer.ImportFileError as exc:
        assert exc.message and exc.code
        return None


names = st.sampled_from(["balita.csv", "balita.xlsx", "balita.xls", "balita", "BALITA.XLSX", "x.txt"])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), names)
@example(b"No;NIK\ra\rb;c\n", "balita.csv")  # a lone carriage return stopped the csv reader
def test_any_bytes_give_a_sheet_or_an_import_file_error(content, name):
    _read_sheet(content, name)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(";,\"\n\r\t 0123456789/.-abcNIKJKPL")), max_size=600))
def test_csv_like_noise_gives_a_sheet_or_an_import_file_error(text):
    _read_sheet(("No;NIK;Nama Anak;Tanggal Lahir;JK\n" + text).encode(), "balita.csv")


SAMPLE_ROWS = [header(["Jan"]), [1, "3576014403240001", "Aisyah", "09/03/2024", "P", "", "12/01/2025", "8,4", "72,5", ""]]
SAMPLE_XLSX = xlsx_bytes(SAMPLE_ROWS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_damaged_workbook_gives_a_sheet_or_an_import_file_error(data):
    """Bytes flipped, cut or inserted anywhere in a real .xlsx: zip directory, XML parts, shared strings."""
    raw = bytearray(SAMPLE_XLSX)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if how == "flip":
            raw[pos] ^= data.draw(st.integers(1, 255))
        elif how == "cut":
            del raw[pos:pos + data.draw(st.integers(1, 64))]
        else:
            raw[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
    _read_sheet(bytes(raw), "balita.xlsx")


def _workbook_with(part: str, content: bytes) -> bytes:
    """The sample workbook with one of its XML parts replaced."""
    src = zipfile.ZipFile(io.BytesIO(SAMPLE_XLSX))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename == part else src.read(info))
    return out.getvalue()


XLSX_PARTS = sorted(i.filename for i in zipfile.ZipFile(io.BytesIO(SAMPLE_XLSX)).infolist())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(XLSX_PARTS),
       st.one_of(st.binary(max_size=300),
                 st.text(max_size=200).map(lambda t: f'<?xml version="1.0"?><worksheet>{t}</worksheet>'.encode()),
                 st.just(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         b'<sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData></worksheet>')))
@example("xl/workbook.xml",  # a workbook without sheets: worksheets[0] raised IndexError
         b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>')
def test_a_workbook_with_a_broken_part_gives_a_sheet_or_an_import_file_error(part, content):
    _read_sheet(_workbook_with(part, content), "balita.xlsx")


# --- logistics item catalogue -----------------------------------------------------------------------

def _read_catalog(tmp_path, content: bytes):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(content)
    try:
        return logistics._parse_catalog(path)
    except ServiceError as exc:
        assert exc.message and exc.code
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=1500))
def test_any_bytes_give_catalogue_rows_or_a_service_error(tmp_path, content):
    _read_catalog(tmp_path, content)


cells = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({c: cells for c in logistics.CATALOG_COLUMNS},
                                      optional={"Weight": cells, "Volume": cells, "Unit Value": cells,
                                                "Currency": cells, "URL": cells}), max_size=6))
def test_any_catalogue_cells_give_rows_and_line_errors(tmp_path, rows):
    columns = list(logistics.CATALOG_COLUMNS) + ["Weight", "Volume", "Unit Value", "Currency", "URL"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns)
    writer.writeheader()
    writer.writerows(rows)
    parsed = _read_catalog(tmp_path, buf.getvalue().encode())
    assert parsed is not None  # the header is right: problems are per line, never a refusal of the file
    items, errors = parsed
    for e in errors:
        assert e["message"] and e["line"] >= 2
    for code, item in items.items():
        assert 1 <= len(code) <= 40 and item["name"] and item["unit"]


catalogue_text = st.text(alphabet=string.ascii_letters + string.digits + " ().,/-", min_size=1,
                         max_size=40).map(str.strip).filter(bool)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=1, max_size=12),
                       st.tuples(catalogue_text, st.sampled_from(["pcs", "kg", "box", "liter"]),
                                 st.decimals(0, 10_000, places=3)), min_size=1, max_size=6))
def test_a_written_catalogue_reads_back(tmp_path, items):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(list(logistics.CATALOG_COLUMNS) + ["Weight"])
    for code, (name, unit, weight) in items.items():
        writer.writerow(["IFRC", "Relief", "R", name, code, unit, str(weight)])
    rows, errors = _read_catalog(tmp_path, buf.getvalue().encode("utf-8"))
    assert errors == []
    assert {c: (r["name"], r["unit"], r["weight_g"]) for c, r in rows.items()} == {
        c: (n, u, int((w * 1000).to_integral_value())) for c, (n, u, w) in items.items()}


# --- GeoJSON boundaries -----------------------------------------------------------------------------

def _import(payload):
    try:
        return geo.import_boundaries(system_actor(), [("upload.geojson", payload)])
    except ServiceError as exc:
        assert exc.message and exc.code
        return None


lons, lats = st.floats(94, 142), st.floats(-11, 6)
rings = st.lists(st.tuples(lons, lats), min_size=3, max_size=8).map(lambda pts: [list(p) for p in pts + pts[:1]])
geometries = st.one_of(
    st.builds(lambda r: {"type": "Polygon", "coordinates": [r]}, rings),
    st.builds(lambda rs: {"type": "MultiPolygon", "coordinates": [[r] for r in rs]}, st.lists(rings, min_size=1,
                                                                                           max_size=3)),
    st.fixed_dictionaries({"type": json_values, "coordinates": json_values}),
    json_values,
)
features = st.one_of(
    st.fixed_dictionaries({"type": st.just("Feature"), "geometry": geometries,
                           "properties": st.fixed_dictionaries({"kode": st.sampled_from(["35.76", "35.76.01", "99",
                                                                                          " 35.16 ", ""]) | json_values},
                                                               optional={"lat": json_values, "lng": json_values})}),
    st.dictionaries(st.sampled_from(["type", "geometry", "properties"]), json_values),
    json_values,
)
collections = st.one_of(
    st.fixed_dictionaries({"type": st.just("FeatureCollection"), "features": st.lists(features, max_size=4)}),
    st.fixed_dictionaries({"type": json_values, "features": json_values}),
    features,
)


@pytest.mark.django_db
@DB_SETTINGS
@given(collections)
@example({"type": "FeatureCollection", "features": [  # an unhashable geometry type crashed the set lookup
    {"type": "Feature", "properties": {"kode": "35.76"}, "geometry": {"type": ["Polygon"], "coordinates": []}}]})
def test_any_geojson_object_imports_or_is_refused_with_every_problem_listed(regions, payload):
    report = _import(json.dumps(payload).encode())
    if report is not None:
        assert report.imported >= 1


@pytest.mark.django_db
@DB_SETTINGS
@given(st.one_of(st.binary(max_size=500), st.text(max_size=300).map(str.encode),
                 st.integers(1, 200_000).map(lambda n: b"[" * n), st.integers(1, 200_000).map(lambda n: b'{"a":' * n)))
@example(b"[" * 100_000)  # nested thousands deep: json.loads raised RecursionError
def test_any_bytes_import_or_are_refused(regions, raw):
    _import(raw)


@pytest.mark.django_db
@DB_SETTINGS
@given(rings)
def test_a_valid_boundary_reads_back(regions, ring):
    import shapely

    geom = {"type": "Polygon", "coordinates": [ring]}
    assume(shapely.geometry.shape(geom).is_valid and shapely.geometry.shape(geom).area > 0)
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kode": "35.76"},
                                                     "geometry": geom}]}
    report = _import(json.dumps(fc).encode())
    assert report is not None and report.imported == 1 and report.repaired == []
    stored = geo.region_boundary(system_actor(), "35.76").boundary
    assert stored == json.loads(json.dumps(geom))


# --- CAP through the import -------------------------------------------------------------------------

def _check_result(result):
    """An import answers with a stored warning, or a dead-letter entry saying why not."""
    assert result.status in {"created", "updated", "unchanged", "duplicate", "malformed"}
    if result.status == "malformed":
        assert result.dead_letter is not None and result.message
    else:
        assert result.warning is not None


@pytest.mark.django_db
@DB_SETTINGS
@given(st.data())
def test_any_written_alert_is_imported_or_dead_lettered(regions, data):
    from siaga.disaster import cap
    from siaga.disaster import services as disaster
    from tests.disaster.test_cap_properties import alerts

    alert = data.draw(alerts)
    xml = cap.to_xml(alert)
    try:
        result = disaster.ingest_cap(system_actor(), xml, source_name="fuzz")
    except ServiceError as exc:
        assert exc.message
        return
    _check_result(result)


@pytest.mark.django_db
@DB_SETTINGS
@given(st.binary(max_size=600) | st.text(max_size=600).map(str.encode))
def test_any_bytes_sent_to_the_warning_import_are_imported_or_dead_lettered(regions, data):
    from siaga.disaster import services as disaster

    kind = disaster.detect_kind(data)
    try:
        if kind == "quake_json":
            results = disaster.ingest_quakes(system_actor(), data, source_name="fuzz")
        elif kind == "shakemap":
            results = [disaster.ingest_shakemap(system_actor(), data, source_name="fuzz")]
        else:
            results = [disaster.ingest_cap(system_actor(), data, source_name="fuzz")]
    except ServiceError as exc:
        assert exc.message
        return
    for result in results:
        _check_result(result)
