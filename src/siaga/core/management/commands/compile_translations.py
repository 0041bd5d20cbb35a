"""Compile the .po catalogues into .mo files with polib, so no system gettext is needed.

Each capability keeps its own catalogue (src/siaga/<app>/locale/), beside the project-wide one in
LOCALE_PATHS; `makemessages` run from src/siaga files each string into the nearest catalogue.
"""

from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogue_dirs() -> list[Path]:
    """Every locale directory Django reads: LOCALE_PATHS, then each installed Siaga app's own."""
    dirs = [Path(p) for p in settings.LOCALE_PATHS]
    for config in apps.get_app_configs():
        if config.name.startswith("siaga.") and (Path(config.path) / "locale").is_dir():
            dirs.append(Path(config.path) / "locale")
    return list(dict.fromkeys(dirs))


class Command(BaseCommand):
    help = "Compile Siaga's translation catalogues (.po -> .mo)."

    def handle(self, *args, **options):
        n = 0
        for base in catalogue_dirs():
            for po_path in base.glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                n += 1
        self.stdout.write(f"compiled {n} catalogue(s)")
