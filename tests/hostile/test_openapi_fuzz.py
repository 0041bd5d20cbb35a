"""schemathesis against the whole OpenAPI document, in process, as several roles: no 5xx, no response off its schema.

Each API operation is one test. Hypothesis draws requests from the operation's schema (valid ones and, in
negative mode, invalid ones) and every drawn request is sent once as each role, with that role's bearer
token, through Django's WSGI handler. Each response must not be a 5xx and, when its status is documented,
must match the documented schema. Runs are derandomized so CI sees the same requests every time.
"""

from __future__ import annotations

import os
import sys
import traceback

import pytest
import schemathesis
from django.core import signals
from django.core.signals import got_request_exception
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from siaga.core import tokens

# Examples drawn per operation; every example is sent once per role. SIAGA_FUZZ_EXAMPLES raises it locally.
MAX_EXAMPLES = int(os.environ.get("SIAGA_FUZZ_EXAMPLES", "3"))

ROLES = {
    # role -> (organisation kind, region the organisation serves, membership scope)
    "administrator": ("pmi_hq", "", ""),
    "call_taker": ("cc112", "35.76", "35.76"),
    "dispatcher": ("psc119", "35.76", "35.76"),
    "blood_bank_officer": ("udd", "35.76", "35.76"),
    "disaster_manager": ("bpbd", "35.76", "35.76"),
    "kader": ("posyandu", "35.76.01.1006", "35.76.01.1006"),
    "leader": ("government", "35.76", "35.76"),
}

# Operations left out, each with its reason. Server-Sent Events streams never end, so a request cannot
# be validated; /api/stream and the blood board's stream are plain Django views outside the OpenAPI
# document, and any operation that declares text/event-stream is excluded here too should one appear.
EXCLUDED: dict[str, str] = {}

CONFIG = schemathesis.Config.from_dict({
    # The bearer token is set per role below; generated Authorization headers or session cookies would
    # only replace it with garbage (the invalid-token answer is covered by tests/core).
    "generation": {"with-security-parameters": False},
})


def _load_schema():
    from siaga.api import api

    return schemathesis.openapi.from_dict(api.get_openapi_schema(), config=CONFIG)


def _streams(operation) -> bool:
    for response in (operation.definition.raw.get("responses") or {}).values():
        if "text/event-stream" in (response.get("content") or {}):
            return True
    return False


SCHEMA = _load_schema()
OPERATIONS = {}
for _result in SCHEMA.get_all_operations():
    _op = _result.ok()
    if _streams(_op):
        EXCLUDED[_op.label] = "Server-Sent Events stream: the response never ends"
        continue
    OPERATIONS[_op.label] = _op


@pytest.fixture(scope="module")
def wsgi_app():
    """Django's WSGI handler, minus closing the connection after each request (as Django's test client does):
    the requests must run inside the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db, regions, make_org, make_user, settings):
    """One organisation per role (the kinds the roles work in) and a bearer token for each role."""
    # Configured, so the SMS webhook checks its input instead of answering 503 "not configured" to everything.
    settings.SIAGA_SMS_WEBHOOK_SECRET = "fuzz-webhook-secret"
    parent = make_org(kind="pmi_hq", region_code="", name="Induk")
    out = {}
    for role, (kind, region, scope) in ROLES.items():
        org = make_org(kind=kind, region_code=region, parent=None if role == "administrator" else parent)
        user = make_user(role, org, scope_code=scope, password=None)
        _, raw = tokens.issue(user.memberships.get(), f"fuzz-{role}")
        out[role] = raw
    return out


@pytest.fixture
def server_errors():
    """The tracebacks of the exceptions Django turned into 500 answers, to say which line failed."""
    seen: list[str] = []

    def record(sender, request=None, **kw):
        # The application's own frames and the exception: enough to find the line, short enough to read.
        frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if "/siaga/" in f.filename]
        where = "".join(traceback.format_list(frames[-4:]))
        seen.append(where + "".join(traceback.format_exception_only(*sys.exc_info()[:2])))

    got_request_exception.connect(record)
    yield seen
    got_request_exception.disconnect(record)


def _send(case, app, token):
    # Each request in its own savepoint, undone when refused: a database error in one request (PostgreSQL
    # aborts the whole transaction) must not poison the next.
    with transaction.atomic():
        response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 400:
            transaction.set_rollback(True)
    return response


@pytest.mark.slow
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_operation_never_fails_or_breaks_its_schema(label, world, wsgi_app, server_errors):
    operation = OPERATIONS[label]
    strategy = st.one_of(operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
                         operation.as_strategy(schemathesis.GenerationMode.NEGATIVE))

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        for role, token in world.items():
            del server_errors[:]
            response = _send(case, wsgi_app, token)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
            except Exception as exc:
                exc.add_note(f"as role {role}: {case.method} {case.formatted_path} -> {response.status_code}")
                for tb in server_errors:
                    exc.add_note(tb)
                raise

    run()


# --- beyond what schemathesis draws -----------------------------------------------------------------

JSON_BODY_OPERATIONS = sorted(label for label, op in OPERATIONS.items()
                              if "application/json" in ((op.definition.raw.get("requestBody") or {}).get("content") or {}))


@pytest.mark.parametrize("body, refused", [(b"[" * 100_000, True), (b'{"a":' * 100_000, True),
                                            (b"\x00\xff\xfe", True), (b'{"a": 1e999999, "b": -1e999999}', False)],
                         ids=["deep-array", "deep-object", "not-utf8", "huge-number"])
def test_hostile_json_bodies_are_refused_with_a_4xx_everywhere(body, refused, world, wsgi_app, server_errors):
    """Nesting that exhausts the recursion limit and bytes that are not UTF-8 are refused everywhere; numbers
    beyond floats are valid JSON (infinity), so they need only never cause a 5xx."""
    from werkzeug.test import Client

    client = Client(wsgi_app)
    failures = []
    for label in JSON_BODY_OPERATIONS:
        method, path = label.split(" ", 1)
        url = path.replace("{", "").replace("}", "")  # every path parameter becomes its own name: a 4xx anyway
        url = "/".join("1" if seg.endswith("_id") else seg for seg in url.split("/"))
        with transaction.atomic():
            response = client.open(url, method=method, data=body, content_type="application/json",
                                   headers={"Authorization": f"Bearer {world['administrator']}"})
            transaction.set_rollback(True)
        if response.status_code >= 500 or (refused and response.status_code < 400):
            failures.append((label, response.status_code, server_errors[-1:] if server_errors else ""))
    assert not failures


def test_no_two_schemas_share_a_name_in_the_document():
    """Two schema classes with one name get one component: the document describes only one of them, so the
    other operations' requests or responses are documented wrongly. Give each class its own name, prefixed by
    its capability (BloodRequestIn, MutualAidRequestIn). tests/test_openapi_names.py checks each operation's
    schemas against the document, nested ones included."""
    from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
    from pydantic import BaseModel

    from siaga.api import api

    components = api.get_openapi_schema()["components"]["schemas"]
    by_name: dict[str, list] = {}

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("siaga."):
                by_name.setdefault(sub.__name__, []).append(sub)
            walk(sub)

    walk(BaseModel)

    def own_schemas(cls):
        out = []
        for mode in ("serialization", "validation"):
            schema = cls.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema,
                                           mode=mode)
            schema.pop("$defs", None)
            out.append(schema)
        return out

    colliding = {name for name, classes in by_name.items() if name in components and len(classes) > 1
                 and any(components[name] not in own_schemas(cls) for cls in classes)}
    assert colliding == set()
