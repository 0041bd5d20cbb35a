"""`siaga import boundaries FILE...` as a management command: the report, the repaired codes, errors."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from siaga.geo.models import Region

from .conftest import collection, feature, square


def test_it_reports_imported_and_repaired_features(load_regions, tmp_path):
    load_regions("35.76")
    bowtie = {"type": "Polygon", "coordinates": [[[112.40, -7.50], [112.42, -7.48], [112.42, -7.50], [112.40, -7.48],
                                                  [112.40, -7.50]]]}
    path = tmp_path / "desa.geojson"
    path.write_text(json.dumps(collection(feature("35.76.01.1003", bowtie), feature("35.76.01.1004", square(112.5, -7.5)))))
    out = io.StringIO()
    call_command("import_boundaries", str(path), stdout=out)
    assert "2 diimpor" in out.getvalue()  # Bahasa Indonesia is the default language
    assert "1 poligon tidak valid diperbaiki" in out.getvalue() and "35.76.01.1003" in out.getvalue()


def test_it_lists_offending_features_and_writes_nothing(load_regions, tmp_path):
    load_regions("35.76")
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection(feature("35.76.01.1003", square(112.4, -7.5)),
                                          feature("35.76.77.7777", square(112.5, -7.5)))))
    with pytest.raises(CommandError) as exc:
        call_command("import_boundaries", str(path), stdout=io.StringIO())
    assert "bad.geojson" in str(exc.value) and "35.76.77.7777" in str(exc.value)
    assert not Region.objects.filter(boundary__isnull=False).exists()


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("import_boundaries", str(tmp_path / "nope.geojson"), stdout=io.StringIO())
    assert "nope.geojson" in str(exc.value)
