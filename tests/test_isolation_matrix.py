"""Isolation matrix: every isolation spec x every role, from organisations that must not see the record.

For each OrgIsolationSpec (tests/isolation.py) one "world" is built and shared by all roles:

    parent (spec kind, common area of both)      mine (spec kind, region_code)
        └── theirs (spec kind, other_region_code)
    record_theirs belongs to theirs; record_mine to mine.

For every role in ROLE_PERMISSIONS:
  * a user of that role in `mine` (another organisation) must not find record_theirs in the list, gets
    403/404 on its detail URLs, is refused every write and nothing changes;
  * a user of that role in `parent`, scoped to a sibling area (region_code), must be refused the same way
    whenever the record lies in its own area (checked against a national user of the spec's role in
    `parent`, who does see it: so the area, not something else, is what keeps it out);
  * every page of the record (spec.page_urls / page_posts) answers 403/404 (anonymous: the login page)
    and never shows the record's identifying text.
The spec's own role in `mine` sees record_mine through the same URLs, so each check can fail.

The live stream part writes through the specs' make_record in organisation A with a subscriber of every
role in organisation B and one subscriber in A: B receives none of A's events, A receives them.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from siaga.core.permissions import ROLE_PERMISSIONS, TOPIC_PERMISSIONS, scopes_overlap
from tests.isolation import SPECS, _url
from tests.servers import asgi_server  # noqa: F401  (fixture)

_seq = itertools.count(1)
ROLES = [str(r) for r in ROLE_PERMISSIONS]


def _load_specs() -> list[type]:
    """Import every test module so that each spec class registers itself."""
    root = Path(__file__).parent
    for path in sorted(root.rglob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        rel = path.relative_to(root.parent).with_suffix("")
        importlib.import_module(".".join(rel.parts))
    return list(SPECS)


ALL_SPECS = _load_specs()
PAGE_SPECS = [s for s in ALL_SPECS if s.page_urls or s.page_posts]


def spec_id(spec: type) -> str:
    return f"{spec.__module__.removeprefix('tests.')}.{spec.__name__}"


# --- building a world -------------------------------------------------------------------------------


def _regions():
    from siaga.geo.models import Region
    from siaga.geo.search import normalize
    from tests.conftest import SAMPLE_REGIONS

    for code, name, level, parent in SAMPLE_REGIONS:
        Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent, "search_key": normalize(name)})


def _org(kind: str, region_code: str, parent=None, label: str = ""):
    from siaga.core.models import Organization

    n = next(_seq)
    return Organization.objects.create(code=f"mx-{n}", name=f"Matriks {label} {n}", kind=kind,
                                       region_code=region_code, parent=parent)


def _user(role: str, org, scope_code: str):
    from siaga.core.models import Membership, User

    n = next(_seq)
    user = User.objects.create_user(username=f"mx-{role}-{n}", password=None)
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


def _common_area(a: str, b: str) -> str:
    out = []
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        out.append(x)
    return ".".join(out)


@contextlib.contextmanager
def _environment(spec: type):
    """What the spec's own folder sets up around its tests (autouse fixtures of its conftest)."""
    from django.core.cache import cache
    from django.test.utils import override_settings

    mp = pytest.MonkeyPatch()
    cache.clear()
    try:
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            if spec.__module__.startswith("tests.blood."):
                from django.apps import apps

                from siaga.blood.seed import seed_reference_data

                seed_reference_data(apps)
            if spec.__module__.startswith("tests.health.lifecycle."):
                from siaga.health import services
                from tests.health.lifecycle.conftest import TODAY

                mp.setattr(services, "today_local", lambda region_code="": TODAY)
                mp.setattr(services, "latest_allowed_date", lambda: TODAY)
            yield
    finally:
        mp.undo()
        cache.clear()


@dataclass
class World:
    spec: object
    mine_org: object
    theirs_org: object
    parent_org: object
    mine: object
    theirs: object
    owner: object = None
    cache: dict = field(default_factory=dict)

    @property
    def sibling_scope(self) -> str:
        return self.spec.region_code

    def client(self, role: str, org, scope_code: str):
        return self.spec.client_for_user(_user(role, org, scope_code))


def _build(spec) -> World:
    _regions()
    parent = _org(spec.org_kind, _common_area(spec.region_code, spec.other_region_code), label="induk")
    mine_org = _org(spec.org_kind, spec.region_code, label="lain")
    theirs_org = _org(spec.org_kind, spec.other_region_code, parent=parent, label="pemilik")
    # As in the spec's own fixture, its user exists before the records (some records belong to that user).
    owner = _user(spec.role, mine_org, spec.region_code)
    mine = spec.make_record(mine_org)
    theirs = spec.make_record(theirs_org)
    return World(spec=spec, mine_org=mine_org, theirs_org=theirs_org, parent_org=parent, mine=mine, theirs=theirs,
                 owner=owner)


@pytest.fixture(scope="class")
def world(request, django_db_setup, django_db_blocker):
    """One world per spec, kept in a transaction that is rolled back once all its roles ran."""
    spec = request.param()
    with contextlib.ExitStack() as stack:
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
        try:
            with django_db_blocker.unblock():
                stack.enter_context(_environment(spec))
                built = _build(spec)
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)


# --- reading answers --------------------------------------------------------------------------------


def _listed_ids(response, key: str) -> set[str]:
    body = response.json()
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    if not isinstance(items, list):
        return set()
    return {str(item.get(key)) for item in items if isinstance(item, dict)}


def _write(client, method: str, url: str, body: dict):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def _refusals(world: World, client, who: str) -> list[str]:
    """Every way in which `client` reached world.theirs through the spec's API URLs."""
    spec, record, problems = world.spec, world.theirs, []
    if spec.list_url:
        r = client.get(spec.list_url)
        if r.status_code >= 500:
            problems.append(f"{who}: GET {spec.list_url} -> {r.status_code}")
        elif r.status_code == 200 and str(record.pk) in _listed_ids(r, spec.list_key):
            problems.append(f"{who}: GET {spec.list_url} lists the other organisation's record {record.pk}")
    for template in spec.detail_urls:
        url = _url(template, record)
        r = client.get(url)
        if r.status_code not in (403, 404):
            problems.append(f"{who}: GET {url} -> {r.status_code}: {r.content[:200]!r}")
    writes = _matrix_writes(spec)
    if writes:
        before = spec.snapshot(record)
        for method, template, body in writes:
            url = _url(template, record)
            r = _write(client, method, url, body)
            if r.status_code not in (403, 404):
                problems.append(f"{who}: {method.upper()} {url} -> {r.status_code}: {r.content[:200]!r}")
        after = _snapshot_after(spec, record)
        if after != before:
            problems.append(f"{who}: the writes {[w[:2] for w in writes]} changed the other organisation's record")
    return problems


def _snapshot_after(spec, record):
    """The record's snapshot after the refused writes, or "deleted" if one of them removed it."""
    try:
        return spec.snapshot(record)
    except ObjectDoesNotExist:
        return "deleted"


def _matrix_writes(spec) -> list:
    """The spec's write requests, unless the spec checks its writes its own way (bodies filled in at run time)."""
    if "test_it_refuses_writes_to_other_organisation" in _own_overrides(type(spec)):
        return []
    return spec.write_requests


def _own_overrides(spec_cls: type) -> set[str]:
    from tests.isolation import OrgIsolationSpec

    names = set()
    for klass in spec_cls.__mro__:
        if klass is OrgIsolationSpec:
            break
        names.update(klass.__dict__)
    return names


def _page_refusals(world: World, client, who: str, anonymous: bool = False) -> list[str]:
    spec, record, problems = world.spec, world.theirs, []
    text = spec.page_text(record)
    for template in spec.page_urls:
        url = _url(template, record)
        r = client.get(url)
        body = r.content.decode(errors="replace")
        if anonymous:
            if r.status_code != 302 or "/login/" not in r.headers.get("Location", ""):
                problems.append(f"{who}: GET {url} -> {r.status_code}, not the login page")
        elif r.status_code not in (403, 404):
            problems.append(f"{who}: GET {url} -> {r.status_code}")
        if text and text in body:
            problems.append(f"{who}: GET {url} shows {text!r}")
    if spec.page_posts:
        before = spec.snapshot(record)
        for template, data in spec.page_posts:
            url = _url(template, record)
            r = client.post(url, _form(data))
            to_login = r.status_code == 302 and "/login/" in r.headers.get("Location", "")
            if anonymous and not to_login:
                problems.append(f"{who}: POST {url} -> {r.status_code}, not the login page")
            elif not anonymous and r.status_code == 302 and not to_login:
                # Some forms report a refusal as a message on the page they return to: it must not show the record.
                shown = client.get(r.headers["Location"]).content.decode(errors="replace")
                if text and text in shown:
                    problems.append(f"{who}: POST {url} led to {r.headers['Location']}, which shows {text!r}")
            elif not anonymous and r.status_code not in (403, 404):
                problems.append(f"{who}: POST {url} -> {r.status_code}")
        after = _snapshot_after(spec, record)
        if after != before:
            problems.append(f"{who}: the posts {[p[0] for p in spec.page_posts]} changed the other organisation's record")
    return problems


def _form(data: dict) -> dict:
    """Form data with bytes values sent as uploaded files."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {k: SimpleUploadedFile(f"{k}.pdf", v, content_type="application/pdf") if isinstance(v, bytes) else v
            for k, v in data.items()}


def _sees(world: World, client, record) -> bool:
    """Whether client reaches record through the spec's list or first detail URL."""
    spec = world.spec
    if spec.detail_urls:
        return client.get(_url(spec.detail_urls[0], record)).status_code == 200
    if spec.list_url:
        r = client.get(spec.list_url)
        return r.status_code == 200 and str(record.pk) in _listed_ids(r, spec.list_key)
    return False


def _sibling_applies(world: World) -> str | None:
    """None when a sibling-area user must be refused; else why the check does not apply to this spec."""
    spec = world.spec
    if "sibling" in world.cache:
        return world.cache["sibling"]
    why = None
    if scopes_overlap(spec.region_code, spec.other_region_code):
        why = "both organisations share one area"
    elif not (spec.list_url or spec.detail_urls or spec.page_urls):
        why = "no read URL to check the area against"
    else:
        region = getattr(world.theirs, "region_code", None)
        if region is None:
            why = "the record carries no area of its own"
        elif scopes_overlap(world.sibling_scope, region):
            why = f"the record's area ({region or 'none'}) is visible from {world.sibling_scope} by design"
        elif spec.list_url or spec.detail_urls:
            national = world.client(spec.role, world.parent_org, "")
            if not _sees(world, national, world.theirs):
                why = "the owner's parent organisation does not see the record even nationally"
    world.cache["sibling"] = why
    return why


# --- the matrix -------------------------------------------------------------------------------------

# Area-scope gaps the matrix found and that are reported to the capability owners rather than fixed here:
# these services limit by organisation only, so a user of the owner's parent organisation whose membership is
# limited to another kab/kota still reaches the record. spec id -> (roles that reach it, why).
KNOWN_AREA_GAPS: dict[str, tuple[set, str]] = {}


@pytest.mark.django_db
@pytest.mark.parametrize("world", ALL_SPECS, ids=spec_id, indirect=True, scope="class")
class TestRoleMatrix:
    def test_the_owner_side_sees_its_record(self, world):
        """The control: the spec's role reaches its own organisation's record through the same URLs."""
        spec, client = world.spec, world.spec.client_for_user(world.owner)
        if spec.list_url:
            r = client.get(spec.list_url)
            assert r.status_code == 200, (spec.list_url, r.content[:300])
            assert str(world.mine.pk) in _listed_ids(r, spec.list_key), "own record missing from the list"
        for template in spec.detail_urls:
            r = client.get(_url(template, world.mine))
            assert r.status_code == 200, (template, r.status_code, r.content[:300])
        text, html = spec.page_text(world.mine), []
        for template in spec.page_urls:
            r = client.get(_url(template, world.mine))
            assert r.status_code == 200, (template, r.status_code)
            if r.get("Content-Type", "").startswith("text/html"):
                html.append(r.content.decode())
        if text and html:
            assert any(text in body for body in html), f"{text!r} is on none of the record's own pages"

    @pytest.mark.parametrize("role", ROLES)
    def test_another_organisation_is_refused(self, world, role):
        client = world.client(role, world.mine_org, world.spec.region_code)
        problems = _refusals(world, client, f"{role}@other-org")
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("role", ROLES)
    def test_a_sibling_area_of_the_owner_tree_is_refused(self, world, role):
        why = _sibling_applies(world)
        if why:
            pytest.skip(why)
        client = world.client(role, world.parent_org, world.sibling_scope)
        problems = _refusals(world, client, f"{role}@parent-org/{world.sibling_scope}")
        problems += _page_refusals(world, client, f"{role}@parent-org/{world.sibling_scope}")
        roles, gap = KNOWN_AREA_GAPS.get(spec_id(type(world.spec)), (set(), ""))
        if role in roles:
            assert problems, "this known area-scope gap is closed now: remove it from KNOWN_AREA_GAPS"
            pytest.xfail(f"known area-scope gap, reported: {gap}: " + "; ".join(problems))
        assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("world", PAGE_SPECS, ids=spec_id, indirect=True, scope="class")
class TestPageMatrix:
    @pytest.mark.parametrize("role", [*ROLES, "anonymous"])
    def test_pages_refuse_another_organisation(self, world, role):
        from django.test import Client

        if role == "anonymous":
            problems = _page_refusals(world, Client(), "anonymous", anonymous=True)
        else:
            client = world.client(role, world.mine_org, world.spec.region_code)
            problems = _page_refusals(world, client, f"{role}@other-org")
        assert not problems, "\n".join(problems)


# --- the live stream --------------------------------------------------------------------------------

CAPABILITIES = sorted({s.__module__.split(".")[1] for s in ALL_SPECS})
# Writes sampled per capability: the first specs (in file order) whose make_record emits events, up to this many
# distinct topics.
TOPICS_PER_CAPABILITY = 4


def _incident_write(actor, org):
    from siaga.callcenter import services

    services.create_incident(actor, type_code="banjir", region_code=org.region_code, description="Banjir di A")


def _organization_write(actor, org):
    from siaga.core import services

    services.update_organization(actor, org.pk, name=f"{org.name} (diubah)")


def _donor_write(actor, org):
    import datetime as dt

    from siaga.blood import services
    from tests.blood.conftest import nik_for
    from tests.blood.factories import site_for

    site = site_for(org)
    services.register_donor(actor, nik=nik_for(dt.date(1990, 5, 17)), name="Donor A", sex="M",
                            birth_date=dt.date(1990, 5, 17), site_id=site.pk)


def _unit_write(actor, org):
    from siaga.dispatch import services

    services.create_unit(actor, call_sign="AMB-A1", kind="ambulance_basic", region_code=org.region_code)


def _disaster_event_write(actor, org):
    from siaga.disaster import services

    services.create_event(actor, name="Banjir A", type_code="banjir", affected_region_codes=[org.region_code])


def _posyandu_write(actor, org):
    from siaga.core.permissions import system_actor
    from siaga.health import services

    services.create_posyandu(system_actor(), organization_id=org.pk, name="Posyandu A",
                             region_code="35.76.01.1006", schedule_day_of_month=10)


# Writes through services, first in each capability's sample (most specs make their records without events):
# capability -> (organisation kind, region, acting role, write(actor, org)).
SERVICE_WRITES = {
    "callcenter": ("cc112", "35.76", "call_taker", _incident_write),
    "core": ("pmi_branch", "35.76", "administrator", _organization_write),
    "blood": ("udd", "35.76", "blood_bank_officer", _donor_write),
    "dispatch": ("psc119", "35.76", "dispatcher", _unit_write),
    "disaster": ("pmi_branch", "35.76", "disaster_manager", _disaster_event_write),
    "health": ("posyandu", "35.76.01.1006", "kader", _posyandu_write),
}


def _service_write(capability, org, writer) -> tuple[list[dict], str | None]:
    from siaga.core.events import as_message
    from siaga.core.models import OutboxEvent
    from siaga.core.permissions import actor_for

    marker = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        with transaction.atomic():
            SERVICE_WRITES[capability][3](actor_for(writer), org)
    except Exception as exc:
        return [], f"{capability} service write: {type(exc).__name__}: {exc}"
    return [as_message(ev) for ev in OutboxEvent.objects.filter(id__gt=marker).order_by("id")], None


def _token(user) -> str:
    from siaga.core import tokens

    return tokens.issue(user.memberships.order_by("pk").first(), "matrix")[1]


def _write_in(spec_cls, org) -> tuple[list[dict], str | None]:
    """spec.make_record in org, committed; the outbox events it wrote."""
    from siaga.core.events import as_message
    from siaga.core.models import OutboxEvent

    spec = spec_cls()
    marker = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    try:
        with _environment(spec), transaction.atomic():
            spec.make_record(org)
    except Exception as exc:  # a spec whose record cannot be made outside its own fixtures: not sampled
        return [], f"{spec_id(spec_cls)}: {type(exc).__name__}: {exc}"
    rows = OutboxEvent.objects.filter(id__gt=marker).order_by("id")
    return [as_message(ev) for ev in rows], None


@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capability", CAPABILITIES)
def test_the_stream_withholds_another_organisations_events(capability, asgi_server, settings):
    """Writes in organisation A reach A's subscribers and none of B's, whatever B's role."""
    from siaga.core.events import emit
    from siaga.core.permissions import actor_for
    from tests.servers import SSEClient, bearer

    from tests.conftest import reseed_reference_data

    settings.SIAGA_SSE_HEARTBEAT = 0.2
    reseed_reference_data()
    _regions()
    root_a = _org("pmi_branch", "", label="A")
    org_b = _org("pmi_branch", "35.16", label="B")
    specs = [s for s in ALL_SPECS if s.__module__.split(".")[1] == capability]
    # A's organisations exist before the streams open: a stream learns of new ones only through events.
    orgs_a = {s: _org(s.org_kind, s.region_code, parent=root_a, label="A") for s in specs}
    if capability in SERVICE_WRITES:
        kind, region, writer_role, _fn = SERVICE_WRITES[capability]
        service_org = _org(kind, region, parent=root_a, label="A")
        orgs_a["service"] = service_org
        writer = _user(writer_role, service_org, region)
    users_a = {role: _user(role, root_a, "") for role in ROLES}
    users_b = {role: _user(role, org_b, "") for role in ROLES}
    with contextlib.ExitStack() as stack:
        streams_a = {r: stack.enter_context(SSEClient(asgi_server.url, headers=bearer(_token(u)), timeout=20))
                     for r, u in users_a.items()}
        streams_b = {r: stack.enter_context(SSEClient(asgi_server.url, headers=bearer(_token(u)), timeout=20))
                     for r, u in users_b.items()}

        written, topics, failures = [], set(), []
        writes = ([lambda: _service_write(capability, service_org, writer)] if capability in SERVICE_WRITES else [])
        writes += [lambda s=s: _write_in(s, orgs_a[s]) for s in specs]
        for write in writes:
            if len(topics) >= TOPICS_PER_CAPABILITY:
                break
            events, failure = write()
            if failure:
                failures.append(failure)
            new = [e for e in events if e["topic"] in TOPIC_PERMISSIONS and e["topic"] not in topics]
            if new:
                written += events
                topics.update(e["topic"] for e in events if e["topic"] in TOPIC_PERMISSIONS)
        if not written:
            pytest.skip(f"no spec of {capability} emits a streamed event when it makes its record: {failures}")

        with transaction.atomic():
            sentinel = emit("organization.updated",
                            {"id": org_b.pk, "code": org_b.code, "name": "penanda", "changed": ["name"]},
                            organization=org_b, region_code=org_b.region_code)
        # Events with no owner (hospital capacity, reference data) are shared by area on purpose; B's users are
        # national, so only owned events must stay away from them.
        ownerless = {e["id"] for e in written if e.get("organization_id") is None}
        leaked = []
        for role, sse in streams_b.items():
            got = sse.events_until(lambda ev: ev.id == sentinel.pk)
            leaked += [f"{role}@B got {ev.event} #{ev.id}: {ev.data}" for ev in got
                       if ev.id != sentinel.pk and ev.id not in ownerless]
        assert not leaked, "\n".join(leaked)

        # The control: each of A's roles receives A's events on the topics it may follow.
        a_org_ids = {root_a.pk, *(o.pk for o in orgs_a.values())}
        missing = []
        for role, sse in streams_a.items():
            actor = actor_for(users_a[role])
            want = {e["id"] for e in written if actor.can_see_event(e)
                    and (e.get("organization_id") in a_org_ids
                         or a_org_ids & set(e.get("shared_with") or ()))}
            if not want:
                continue
            seen: set[int] = set()
            try:
                sse.events_until(lambda ev, want=want, seen=seen: seen.add(ev.id) or want <= seen, timeout=10)
            except AssertionError:
                missing.append(f"{role}@A missed {sorted(want - seen)}")
        assert not missing, "\n".join(missing)
        assert any(actor_for(u).can_see_event(e) for u in users_a.values() for e in written), \
            "no role of A may see what was written: the check proves nothing"
    print(f"{capability}: topics {sorted(topics)}; events {len(written)}")
