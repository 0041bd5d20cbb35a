"""The OpenAPI document names every schema, operation and URL once, and describes what each operation really uses.

django-ninja files every pydantic class under components/schemas/<ClassName>: two classes sharing a name
silently overwrite each other, and a client generated from the document then sends or expects the wrong
fields. These tests compare the document with the classes the operations are built from, so an overwrite
(direct, or of a schema nested inside another) fails here instead of in a client.
"""

from __future__ import annotations

import functools
import json
import typing
from importlib import import_module

import pytest
from ninja.openapi.schema import REF_TEMPLATE, NinjaGenerateJsonSchema
from pydantic import BaseModel

BODY_SOURCES = ("body", "form", "file")
REF_PREFIX = "#/components/schemas/"


def _api():
    from siaga.api import api

    return api


def _document() -> dict:
    """The document as served at /api/openapi.json (JSON: response codes become string keys)."""
    return json.loads(json.dumps(_api().get_openapi_schema()))


@functools.cache
def _operations():
    """operationId -> (ninja Operation, method, document path)."""
    api = _api()
    api.urls  # binds the routers, as serving does
    document = _document()
    by_id = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for op in path_view.operations:
                if op.include_in_schema:
                    by_id.setdefault(op.operation_id or api.get_openapi_operation_id(op), []).append(op)
    out = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ops = by_id[operation["operationId"]]
            out[operation["operationId"]] = (ops[0], method, path)
    return out


def _models_in(annotation) -> list[type[BaseModel]]:
    """The pydantic classes a type annotation names: Model, list[Model], Model | None, ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def _refs(schema) -> set[str]:
    """Component names a schema points at directly (through arrays and unions, not into other components)."""
    if not isinstance(schema, dict):
        return set()
    out = {schema["$ref"].removeprefix(REF_PREFIX)} if "$ref" in schema else set()
    for key in ("items", "additionalProperties"):
        out |= _refs(schema.get(key))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            out |= _refs(sub)
    return out


def _own_schemas(cls) -> list[dict]:
    """What the component of a class looks like when the document describes that class (either direction)."""
    out = []
    for mode in ("validation", "serialization"):
        schema = cls.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode)
        schema.pop("$defs", None)
        out.append(schema)
    return out


def _field_names(cls) -> set[str]:
    return {field.alias or name for name, field in cls.model_fields.items()}


def _request_classes(op) -> list[type[BaseModel]]:
    out = []
    for model in op.models:
        if model.__ninja_param_source__ in BODY_SOURCES:
            for field in model.model_fields.values():
                out.extend(_models_in(field.annotation))
    return out


def _response_classes(op, status: int) -> list[type[BaseModel]]:
    model = op.response_models.get(status)
    if model is None:
        return []
    return _models_in(model.model_fields["response"].annotation)


def _operation_schema(document_op: dict, where: str) -> dict:
    if where == "request":
        content = document_op["requestBody"]["content"]
    else:
        content = document_op["responses"][where]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    return media["schema"]


def test_operation_ids_are_unique():
    seen: dict[str, list[str]] = {}
    for path, item in _document()["paths"].items():
        for method, operation in item.items():
            seen.setdefault(operation["operationId"], []).append(f"{method.upper()} {path}")
    assert {op_id: where for op_id, where in seen.items() if len(where) > 1} == {}


def test_url_names_in_the_api_namespace_are_unique():
    """reverse("api:<name>") must mean one route: with two, Django silently picks the last one registered."""
    from django.urls import get_resolver, reverse

    patterns, _app, namespace = _api().urls
    routes: dict[str, set[str]] = {}
    for pattern in patterns:
        routes.setdefault(pattern.name, set()).add(str(pattern.pattern))
    assert {name: r for name, r in routes.items() if len(r) > 1} == {}
    assert namespace in get_resolver().namespace_dict
    # The crew page finds the dispatch router through "api:me"; the account's own /api/me is "core_me".
    assert reverse(f"{namespace}:me") == "/api/dispatch/me"
    assert reverse(f"{namespace}:core_me") == "/api/me"


def test_every_definition_an_operation_uses_is_the_one_in_the_document():
    """Each operation's own schemas (with everything nested in them), generated the way ninja generates them,
    equal the components the document ended up with: nothing one operation needs was overwritten by another's."""
    components = _document()["components"]["schemas"]
    wrong = []
    for op_id, (op, method, path) in sorted(_operations().items()):
        generated: list[tuple[str, dict]] = []
        for model in op.models:
            if model.__ninja_param_source__ in BODY_SOURCES and not hasattr(model, "__ninja_flatten_map__"):
                schema = model.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True,
                                                 schema_generator=NinjaGenerateJsonSchema, mode="validation")
            else:
                schema = model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema)
            generated.append(("request", schema))
        for status, model in op.response_models.items():
            if model not in (None, Ellipsis) and isinstance(model, type):
                generated.append((str(status), model.model_json_schema(
                    ref_template=REF_TEMPLATE, by_alias=op.by_alias, schema_generator=NinjaGenerateJsonSchema,
                    mode="serialization")))
        for where, schema in generated:
            for name, definition in (schema.get("$defs") or {}).items():
                if components.get(name) != json.loads(json.dumps(definition)):
                    wrong.append(f"{method.upper()} {path} ({where}): {name}")
    assert wrong == []


def test_every_request_and_response_points_at_the_schema_of_its_own_class():
    """Every requestBody and documented response refers to a component describing exactly the class the
    operation validates with or answers with (same properties, same constraints)."""
    document = _document()
    components, paths = document["components"]["schemas"], document["paths"]
    wrong, checked = [], 0
    for op_id, (op, method, path) in sorted(_operations().items()):
        document_op = paths[path][method]
        places = [("request", _request_classes(op))] if "requestBody" in document_op else []
        places += [(str(status), _response_classes(op, status)) for status in op.response_models
                   if isinstance(status, int) and "content" in document_op["responses"].get(str(status), {})]
        for where, classes in places:
            refs = _refs(_operation_schema(document_op, where))
            for cls in classes:
                checked += 1
                if cls.__name__ not in refs:
                    wrong.append(f"{method.upper()} {path} ({where}): no $ref to {cls.__name__}, only {sorted(refs)}")
                elif components[cls.__name__] not in json.loads(json.dumps(_own_schemas(cls))):
                    wrong.append(f"{method.upper()} {path} ({where}): component {cls.__name__} is not "
                                 f"{cls.__module__}.{cls.__qualname__}")
    assert wrong == []
    assert checked > 1000  # nearly every operation takes or answers schema classes: the walk really found them


# Operations that shared a schema name with another capability's operation until each class got its own
# name: (method, path, "request" or a status, module, class the operation uses, component path inside it).
FORMERLY_COLLIDING = [
    # RequestIn: blood, logistics and mutual aid each had one; so did LineIn, nested in each.
    ("post", "/api/blood/requests", "request", "siaga.blood.api_issue", "BloodRequestIn", ()),
    ("post", "/api/blood/requests", "request", "siaga.blood.api_issue", "BloodRequestLineIn", ("lines",)),
    ("post", "/api/disaster/mutual-aid/requests", "request", "siaga.disaster.mutualaid.api", "MutualAidRequestIn", ()),
    ("post", "/api/disaster/mutual-aid/requests", "request", "siaga.disaster.mutualaid.api", "MutualAidLineIn",
     ("lines",)),
    ("post", "/api/disaster/logistics/requests", "request", "siaga.disaster.logistics.api", "LogisticsRequestIn", ()),
    # SessionIn / SessionOut: blood donation sessions and posyandu days.
    ("post", "/api/blood/sessions", "request", "siaga.blood.api", "BloodSessionIn", ()),
    ("post", "/api/blood/sessions", "201", "siaga.blood.api", "BloodSessionOut", ()),
    ("post", "/api/health/sessions", "request", "siaga.health.api", "PosyanduSessionIn", ()),
    ("post", "/api/health/sessions", "201", "siaga.health.api", "PosyanduSessionOut", ()),
    # StationOut: dispatch's stations and the stations inside routing's coverage answer.
    ("get", "/api/dispatch/stations", "200", "siaga.dispatch.api", "DispatchStationOut", ()),
    ("post", "/api/routing/coverage", "200", "siaga.routing.api", "CoverageStationOut", ("stations",)),
    # ReasonIn: the same property ("reason") with different limits, so only the whole schema tells them apart.
    ("post", "/api/dispatch/dispatches/{dispatch_id}/cancel", "request", "siaga.dispatch.api", "DispatchReasonIn", ()),
    ("post", "/api/callcenter/referrals/{referral_id}/cancel", "request", "siaga.callcenter.api_referrals",
     "ReferralReasonIn", ()),
]


@pytest.fixture(scope="module")
def served_document(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.parametrize("method, path, where, module, name, inside", FORMERLY_COLLIDING,
                         ids=[row[4] for row in FORMERLY_COLLIDING])
def test_formerly_colliding_operations_describe_their_own_class(method, path, where, module, name, inside,
                                                                served_document):
    cls = getattr(import_module(module), name)
    components = served_document["components"]["schemas"]
    operation = served_document["paths"][path][method]
    op, _method, _path = _operations()[operation["operationId"]]

    # The class is what the operation really uses (directly, or nested in what it uses).
    classes = _request_classes(op) if where == "request" else _response_classes(op, int(where))
    schema = _operation_schema(operation, where)
    for prop in inside:
        (outer,) = classes
        classes = _models_in(outer.model_fields[prop].annotation)
        (outer_ref,) = _refs(schema)
        schema = components[outer_ref]["properties"][prop]
    assert classes == [cls]

    # Its $ref resolves to a component with the class's fields and nothing else, and is that class's schema.
    (ref,) = _refs(schema)
    assert ref == name
    assert set(components[ref]["properties"]) == _field_names(cls)
    assert json.loads(json.dumps(components[ref])) in json.loads(json.dumps(_own_schemas(cls)))


def test_the_served_document_is_the_one_checked(served_document):
    """The tests above read api.get_openapi_schema(); the document clients download is the same one."""
    assert served_document == _document()

