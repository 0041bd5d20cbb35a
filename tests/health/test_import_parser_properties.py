"""Property tests of the import parser: numbers and dates read back whatever the typing habit, bad cells never crash."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siaga.health import importer

from .sheets import csv_bytes, header, xlsx_bytes

kg = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("60"), places=2)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))


@given(kg, st.sampled_from([",", "."]), st.sampled_from(["", " kg", "kg"]))
def test_weight_reads_back_in_grams_with_comma_or_point(value, sep, unit):
    text = f"{value}".replace(".", sep) + unit
    assert importer.parse_weight_g(text) == int(value * 1000)


@given(st.decimals(min_value=Decimal("30"), max_value=Decimal("200"), places=1), st.sampled_from([",", "."]))
def test_length_reads_back_in_millimetres(value, sep):
    assert importer.parse_length_mm(f"{value}".replace(".", sep)) == int(value * 10)


@given(dates, st.sampled_from(["{d:02d}/{m:02d}/{y}", "{d}-{m}-{y}", "{y}-{m:02d}-{d:02d}", "{d}.{m}.{y}"]))
def test_dates_read_back_day_first_or_iso(day, fmt):
    text = fmt.format(d=day.day, m=day.month, y=day.year)
    assert importer.parse_date(text) == day


cell = st.one_of(st.none(), st.text(max_size=12), st.integers(-10**6, 10**6),
                 st.floats(allow_nan=False, allow_infinity=False), dates)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell, min_size=10, max_size=10), min_size=1, max_size=6))
def test_any_cells_give_rows_and_errors_never_an_exception(body):
    sheet = importer.parse_table([header(["Jan"])] + body)
    assert sheet.errors == []
    for row in sheet.rows:
        for err in row.errors:
            assert err.row == row.row and err.message and err.code
        if row.ok:
            assert len(row.nik) == 16 and row.birth_date is not None and row.sex in ("M", "F")


child = st.fixed_dictionaries({
    "nik": st.from_regex(r"\A35760[1-3][0-9]{10}\Z"),
    "name": st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ'", min_size=1,
                    max_size=30).map(str.strip).filter(bool),
    "born": dates,
    "sex": st.sampled_from(["L", "P"]),
    "months": st.lists(st.tuples(dates, kg, st.decimals(min_value=Decimal("40"), max_value=Decimal("120"), places=1),
                                 st.sampled_from(["berbaring", "berdiri", ""])), min_size=0, max_size=3),
})


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(child, min_size=1, max_size=5), st.sampled_from(["csv;", "csv,", "xlsx"]))
def test_a_written_sheet_reads_back_the_same(children, fmt):
    months = ["1", "2", "3"]
    rows = [header(months)]
    for i, c in enumerate(children):
        row = [i + 1, c["nik"], c["name"], c["born"].strftime("%d/%m/%Y"), c["sex"], ""]
        for j in range(3):
            if j < len(c["months"]):
                d, w, h, pos = c["months"][j]
                row += [d.strftime("%d/%m/%Y"), str(w).replace(".", ","), str(h).replace(".", ","), pos]
            else:
                row += ["", "", "", ""]
        rows.append(row)
    content = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows, delimiter=fmt[-1])
    sheet = importer.parse(content, "f." + fmt[:4].rstrip(";,"))
    assert [r.nik for r in sheet.rows] == [c["nik"] for c in children]
    for parsed, c in zip(sheet.rows, children):
        assert parsed.ok, parsed.errors
        assert (parsed.name, parsed.birth_date, parsed.sex) == (" ".join(c["name"].split()), c["born"],
                                                                 {"L": "M", "P": "F"}[c["sex"]])
        got = [(m.measured_on, m.weight_g, m.length_height_mm, m.position) for m in parsed.measurements]
        want = [(d, int(w * 1000), int(h * 10), {"berbaring": "lying", "berdiri": "standing", "": ""}[p])
                for d, w, h, p in c["months"]]
        assert got == want
