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


# Page URL patterns that take a parameter but show no tenant record by it: route -> why no spec applies.
NOT_TENANT_PAGES = {
    "lapor/status/<str:token>/": "the reporter's own status link: reached only through an unguessable token",
    "lapor/lokasi/<str:token>/": "the caller's location link: reached only through an unguessable token",
    "darah/donor-saya/<str:token>/": "the donor's own self-service page: reached only through a signed token",
    "dispatch/armada/statistik/export.<str:ext>": "file format, not a record; figures are the caller's own "
                                                 "organisations' (as /api/dispatch/stats, TestResponseStatsIsolation)",
    "dukcapil/lapor/<str:kind>/": "the kind of notification form (birth or death), not a record",
    "bencana/cap/<int:alert_id>.xml": "public CAP feed: serves published alerts only, which are public warnings",
    "bencana/kesiapsiagaan/pelatihan/<int:module_id>/": "active training modules are a shared library every "
                                                        "organisation reads (tests/disaster/readiness)",
    "bencana/kesiapsiagaan/sop/<int:checklist_id>/latihan/": "SOP checklists are shared on purpose "
                                                             "(TestChecklistDetailIsShared); the drill is the caller's own",
}


def _page_routes() -> dict[str, str]:
    """Every page URL pattern (outside /api/ and /admin/) that takes a parameter: route -> its URL name."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns, prefix="", namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace or ""]))
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            else:
                yield prefix + str(p.pattern), p, namespace

    out = {}
    for route, p, namespace in walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/")) or not p.pattern.regex.groupindex:
            continue
        out[route] = f"{namespace}:{p.name}"
    return out


def _route_of(template: str) -> str:
    """The URL name a spec's page template resolves to (its placeholders filled with an id or an area code)."""
    from django.urls import Resolver404, resolve

    for filler in ("1", "35.76"):
        try:
            return resolve(_PARAM.sub(filler, template.split("?")[0])).view_name
        except Resolver404:
            continue
    raise AssertionError(f"{template} matches no page URL")


def test_every_page_with_an_object_parameter_is_isolation_checked_or_declared():
    for module in _all_test_modules():  # registers every spec
        pass
    covered = set()
    for spec in SPECS:
        covered.update(_route_of(u) for u in spec.page_urls)
        covered.update(_route_of(u) for u, _data in spec.page_posts)
    routes = _page_routes()
    missing = sorted(f"{r} ({name})" for r, name in routes.items() if name not in covered and r not in NOT_TENANT_PAGES)
    assert not missing, f"page URLs with an object parameter, no isolation spec and no NOT_TENANT_PAGES reason: {missing}"
    assert not set(NOT_TENANT_PAGES) - set(routes), "NOT_TENANT_PAGES lists routes that no longer exist"
    assert all(len(why) > 10 for why in NOT_TENANT_PAGES.values())
