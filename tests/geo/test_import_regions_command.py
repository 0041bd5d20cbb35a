"""`siaga import regions` as a management command: output, progress bar on stderr, errors."""

import io

import pytest
from django.core.management import CommandError, call_command

from siaga.geo.models import Region


def test_it_prints_the_counts_and_draws_progress_on_stderr(db, regions_dir):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_regions", "--dir", str(regions_dir), "--within", "35.76", stdout=out, stderr=err)
    assert "23 ditambahkan" in out.getvalue()
    assert "Menyimpan wilayah" in err.getvalue() and "23/23" in err.getvalue()
    assert Region.objects.filter(code__startswith="35.76").count() == 22
    out2 = io.StringIO()
    call_command("import_regions", "--dir", str(regions_dir), "--within", "35.76", stdout=out2, stderr=io.StringIO())
    assert "0 ditambahkan, 0 diperbarui, 23 tidak berubah" in out2.getvalue()


def test_it_fails_with_a_clear_message_when_the_directory_is_missing(db, tmp_path):
    with pytest.raises(CommandError) as exc:
        call_command("import_regions", "--dir", str(tmp_path / "missing"), stdout=io.StringIO())
    assert "missing" in str(exc.value)
    assert "idn-area-data" in str(exc.value)
