"""Reusable isolation checks: every API endpoint refuses another organisation's data.

Declare one subclass of OrgIsolationSpec per resource (in a test module named test_*.py):

    class TestThingIsolation(OrgIsolationSpec):
        role = "dispatcher"                        # a role that may use the endpoint in its own org
        list_url = "/api/things"                   # must not list the other org's row
        detail_urls = ["/api/things/{id}"]         # must answer 403/404 for the other org's row
        write_requests = [("patch", "/api/things/{id}", {"name": "x"})]   # must refuse and change nothing
        def make_record(self, org): return Thing.objects.create(organization=org, ...)
        def snapshot(self, record): return <something that changes if a write went through>

The inherited tests run for every spec. tests/test_isolation_coverage.py checks that every path in
the OpenAPI document is covered by a spec or listed in NOT_TENANT_DATA with its reason.

tests/test_isolation_matrix.py runs every spec again for every role (a user of each role in another
organisation, and in a sibling area of the owner's parent organisation), for its pages and on the live
stream. A spec with pages declares them too:

        page_urls = ["/things/{id}/"]                      # GET: 403/404 for the other org, text absent
        page_posts = [("/things/{id}/close/", {"x": 1})]   # POST: refused and nothing changes
        def page_text(self, record): return record.name    # shown on the own page, must not leak

Templates are formatted with id/pk (the record's pk) and record (e.g. "{record.request_id}").
"""

from __future__ import annotations

import json

import pytest

from .conftest import client_for

SPECS: list[type] = []


def _url(template: str, record) -> str:
    return template.format(id=record.pk, pk=record.pk, record=record)


class OrgIsolationSpec:
    role: str = "administrator"
    org_kind: str = "pmi_branch"
    region_code: str = "35.76"
    other_region_code: str = "35.16"
    list_url: str | None = None
    list_key: str = "id"  # field of each listed item compared with the record's pk
    detail_urls: list[str] = []
    write_requests: list[tuple[str, str, dict]] = []
    page_urls: list[str] = []  # pages (GET) showing the record; see the module docstring
    page_posts: list[tuple[str, dict]] = []  # form posts acting on the record

    def page_text(self, record) -> str | None:
        """Text that identifies the record on its page (shown to its owner, never to another organisation)."""
        for attr in ("number", "name", "title", "code", "din"):
            value = getattr(record, attr, None)
            if isinstance(value, str) and len(value) >= 4:
                return value
        return None

    def client_for_user(self, user):
        """How the matrix signs a user in for this resource (a session by default; some endpoints want a token)."""
        return client_for(user)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__name__.startswith("Test"):
            SPECS.append(cls)

    # --- to override --------------------------------------------------------------------------
    def make_record(self, org):
        raise NotImplementedError

    def snapshot(self, record):
        record.refresh_from_db()
        return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}

    # --- fixtures -----------------------------------------------------------------------------
    @pytest.fixture
    def setting(self, db, regions, make_org, make_user):
        mine = make_org(kind=self.org_kind, region_code=self.region_code)
        theirs = make_org(kind=self.org_kind, region_code=self.other_region_code)
        me = make_user(self.role, mine, scope_code=self.region_code)
        record_mine = self.make_record(mine)
        record_theirs = self.make_record(theirs)
        return {"client": client_for(me), "mine": record_mine, "theirs": record_theirs}

    # --- the checks ---------------------------------------------------------------------------
    def test_it_lists_only_own_organisation(self, setting):
        if not self.list_url:
            pytest.skip("resource has no list endpoint")
        r = setting["client"].get(self.list_url)
        assert r.status_code == 200, r.content
        body = r.json()
        items = body["items"] if isinstance(body, dict) and "items" in body else body
        ids = {str(item[self.list_key]) for item in items}
        assert str(getattr(setting["mine"], "pk")) in ids, "own record missing: the check proves nothing"
        assert str(setting["theirs"].pk) not in ids

    def test_it_refuses_other_organisation_detail(self, setting):
        for template in self.detail_urls:
            own = setting["client"].get(_url(template, setting["mine"]))
            assert own.status_code == 200, (template, own.content)
            r = setting["client"].get(_url(template, setting["theirs"]))
            assert r.status_code in (403, 404), (template, r.status_code)
            assert "error" in r.json()

    def test_it_refuses_writes_to_other_organisation(self, setting):
        for method, template, body in self.write_requests:
            before = self.snapshot(setting["theirs"])
            r = getattr(setting["client"], method)(
                _url(template, setting["theirs"]), data=json.dumps(body), content_type="application/json"
            )
            assert r.status_code in (403, 404), (method, template, r.status_code, r.content)
            assert self.snapshot(setting["theirs"]) == before

    def test_it_refuses_anonymous(self, setting, client):
        urls = [_url(t, setting["mine"]) for t in self.detail_urls] + ([self.list_url] if self.list_url else [])
        for url in urls:
            r = client.get(url)
            assert r.status_code == 401, (url, r.status_code)
