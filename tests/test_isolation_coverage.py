"""Every API path is either checked by an isolation spec or declared not to hold tenant data, with a reason."""

import importlib
import re
from pathlib import Path

import pytest

from tests.isolation import SPECS

# Paths of the core app that are not tenant rows: path template -> why no isolation spec applies.
NOT_TENANT_DATA = {
    "/api/me": "describes the caller only",
    "/api/audit": "filtered to the caller's organisations; checked in tests/core/test_audit_api.py",
    "/api/personal-data-access": "filtered to the caller's organisations; checked in tests/core/test_privacy.py",
}

_PARAM = re.compile(r"\{[^}]*\}")


def _norm(path: str) -> str:
    return _PARAM.sub("{}", path.split("?")[0])


def _all_test_modules():
    root = Path(__file__).parent
    for path in sorted(root.rglob("test_*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        yield importlib.import_module(".".join(rel.parts))


@pytest.mark.django_db
def test_every_api_path_is_isolation_checked_or_declared_public(client):
    declared: dict[str, str] = {}
    for module in _all_test_modules():
        declared.update({_norm(p): why for p, why in getattr(module, "NOT_TENANT_DATA", {}).items()})
    covered = set()
    for spec in SPECS:
        if spec.list_url:
            covered.add(_norm(spec.list_url))
        covered.update(_norm(u) for u in spec.detail_urls)
        covered.update(_norm(u) for _, u, _ in spec.write_requests)
    from siaga.api import api

    paths = {_norm(p) for p in api.get_openapi_schema()["paths"]}
    missing = sorted(p for p in paths if p not in covered and p not in declared)
    assert not missing, f"API paths with no isolation spec and no NOT_TENANT_DATA reason: {missing}"
    assert all(len(why) > 10 for why in declared.values())
