"""`siaga import cap FILE` and `siaga import quake FILE` import files and name what went to the dead-letter list."""

import io

import pytest
from django.core.management import CommandError, call_command

from siaga.disaster.models import FeedItemError, Warning

from .conftest import BMKG

pytestmark = pytest.mark.django_db


def test_import_cap_from_a_file():
    out = io.StringIO()
    call_command("import_cap", str(BMKG / "cap_banten.xml"), stdout=out)
    assert "created warning" in out.getvalue()
    assert Warning.objects.get().sender == "cuaca.ekstrem@bmkg.go.id"


def test_import_cap_twice_fails_loudly_and_keeps_the_duplicate():
    call_command("import_cap", str(BMKG / "cap_banten.xml"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="dead-letter"):
        call_command("import_cap", str(BMKG / "cap_banten.xml"), stdout=io.StringIO(), stderr=io.StringIO())
    assert FeedItemError.objects.get().reason == "duplicate"


def test_import_quake_json_and_grid():
    call_command("import_quake", str(BMKG / "gempaterkini.json"), stdout=io.StringIO())
    call_command("import_quake", str(BMKG / "shakemap" / "20240520204224_grid.xml"), "--mmi", "4",
                 stdout=io.StringIO())
    assert Warning.objects.filter(source="bmkg_quake").count() == 3


def test_import_quake_refuses_a_cap_file():
    with pytest.raises(CommandError, match="neither"):
        call_command("import_quake", str(BMKG / "cap_banten.xml"))


def test_the_siaga_cli_maps_import_cap_to_the_command():
    from siaga import cli

    assert cli.main(["import", "cap", str(BMKG / "cap_banten.xml")]) == 0
    assert Warning.objects.count() == 1
