"""The spreadsheet parser: the common layout in CSV and XLSX, and every bad cell reported with row and column."""

import datetime as dt

from siaga.health import importer

from .sheets import csv_bytes, header, xlsx_bytes

NIK = "3576014903240001"
ROW = [1, NIK, "Aisyah", "09/03/2024", "P", "Siti",
       "12/01/2025", "8,4", "72,5", "berbaring", "11/02/2025", "8,6", "73,4", "terlentang"]


def _sheet(rows, fmt="csv"):
    table = [header(["Jan", "Feb"])] + rows
    content = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table)
    return importer.parse(content, f"data.{fmt}")


def test_it_reads_a_child_and_two_months_from_csv():
    sheet = _sheet([ROW])
    assert sheet.errors == [] and sheet.groups == ["jan", "feb"]
    (row,) = sheet.rows
    assert row.ok and row.row == 4  # title, blank line, header, then the child
    assert (row.nik, row.name, row.birth_date, row.sex, row.mother_name) == (NIK, "Aisyah", dt.date(2024, 3, 9), "F",
                                                                           "Siti")
    assert [(m.measured_on, m.weight_g, m.length_height_mm, m.position) for m in row.measurements] == [
        (dt.date(2025, 1, 12), 8400, 725, "lying"), (dt.date(2025, 2, 11), 8600, 734, "lying")]


def test_it_reads_the_same_from_xlsx_with_real_date_cells():
    row = list(ROW)
    row[3] = dt.datetime(2024, 3, 9)
    row[6] = dt.datetime(2025, 1, 12)
    row[7] = 8.4
    row[8] = 72.5
    sheet = _sheet([row], fmt="xlsx")
    (parsed,) = sheet.rows
    assert parsed.ok and parsed.birth_date == dt.date(2024, 3, 9)
    assert (parsed.measurements[0].weight_g, parsed.measurements[0].length_height_mm) == (8400, 725)


def test_a_comma_separated_file_works_too():
    table = [header(["1"])] + [ROW[:10]]
    sheet = importer.parse(csv_bytes(table, delimiter=",", title=None), "x.csv")
    assert sheet.rows[0].ok and sheet.rows[0].measurements[0].group == "1"


def test_empty_months_and_blank_rows_are_skipped():
    row = ROW[:10] + ["", "", "", ""]
    sheet = _sheet([row, [""] * 14])
    assert len(sheet.rows) == 1 and len(sheet.rows[0].measurements) == 1


def test_bad_cells_are_reported_with_row_and_column():
    bad = [2, "35760149032400", "", "31/02/2024", "X", "", "12/13/2025", "delapan", "72,5", "duduk",
           "", "8,6", "", ""]
    (row,) = _sheet([bad]).rows
    codes = {(e.column, e.code) for e in row.errors}
    assert ("NIK", "nik_format") in codes
    assert ("Nama Anak", "name_required") in codes
    assert ("Tanggal Lahir", "invalid_date") in codes
    assert ("JK", "invalid_sex") in codes
    assert ("Tgl Ukur Jan", "invalid_date") in codes
    assert ("BB Jan (kg)", "invalid_weight") in codes
    assert ("Cara Ukur Jan", "invalid_position") in codes
    assert ("Tgl Ukur Feb", "date_required") in codes
    assert all(e.row == 4 for e in row.errors)


def test_a_nik_stored_as_a_number_is_refused():
    row = list(ROW)
    row[1] = 3576014903240001.0
    (parsed,) = _sheet([row], fmt="xlsx").rows
    assert [e.code for e in parsed.errors] == ["nik_format"]


def test_a_sheet_without_nik_header_is_refused():
    sheet = importer.parse(csv_bytes([["Nama", "BB"], ["A", "9"]], title=None), "x.csv")
    assert [e.code for e in sheet.errors] == ["no_header"]


def test_missing_required_columns_are_named():
    sheet = importer.parse(csv_bytes([["NIK", "Nama", "BB Jan"], [NIK, "A", "9"]], title=None), "x.csv")
    assert {e.code for e in sheet.errors} == {"missing_column"}
    assert len(sheet.errors) == 2  # date of birth and sex


def test_a_damaged_xlsx_is_a_file_error():
    try:
        importer.parse(b"PK\x03\x04 not really a zip", "x.xlsx")
    except importer.ImportFileError as exc:
        assert exc.code == "unreadable_file"
    else:
        raise AssertionError("a damaged file must be refused")


def test_month_labels_may_come_before_the_field():
    table = [["NIK", "Nama", "Tgl Lahir", "L/P", "Jan Tanggal", "Jan Berat", "Jan Tinggi", "Jan Posisi"],
             [NIK, "A", "2024-03-09", "Perempuan", "2025-01-12", "8.4", "72.5", "berdiri"]]
    (row,) = importer.parse(csv_bytes(table, title=None), "x.csv").rows
    assert row.ok and row.measurements[0].position == "standing" and row.measurements[0].weight_g == 8400
