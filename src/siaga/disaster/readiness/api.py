"""Readiness and training API (/api/disaster/readiness/...): training modules and attempts, SOP checklists and
drills, readiness per region and per border zone (computed), and the risk map's GeoJSON layers."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import layers, services
from .models import Drill, SopChecklist, TrainingCompletion, TrainingModule

router = Router(tags=["disaster_readiness"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


# --- schemas ------------------------------------------------------------------------------------------


class QuestionIn(Schema):
    question: str = Field(..., max_length=500)
    options: list[str] = Field(..., max_length=6)
    answer: int = Field(..., ge=0, description="index of the right option")


class ModuleIn(Schema):
    code: str = Field(..., max_length=60)
    title: str = Field(..., max_length=200)
    summary: str = Field("", max_length=500)
    body: str = Field(..., max_length=60000, description="markdown-ish: '# section', '- item', '**bold**'")
    quiz: list[QuestionIn] = Field(..., max_length=30)
    pass_mark_percent: int = Field(70, ge=1, le=100)
    validity_months: int = Field(24, ge=1, le=120)
    skill_code: str | None = Field(None, max_length=40)
    active: bool = True


class QuestionOut(Schema):
    question: str
    options: list[str]


class ModuleOut(Schema):
    id: int
    code: str
    title: str
    summary: str
    organization_id: int
    pass_mark_percent: int
    validity_months: int
    skill_code: str | None
    questions: int
    active: bool


class ModuleDetailOut(ModuleOut):
    body: str
    sections: list[str]
    quiz: list[QuestionOut]  # without the answers


class AttemptIn(Schema):
    answers: list[int] = Field(..., max_length=30, description="index of the chosen option, per question")


class CompletionOut(Schema):
    id: int
    module_id: int
    module_title: str
    user_id: int
    volunteer_id: int | None
    organization_id: int
    region_code: str
    score_percent: int
    correct: int
    questions: int
    passed: bool
    completed_at: dt.datetime
    valid_until: dt.date | None


class CompletionListOut(Schema):
    count: int
    items: list[CompletionOut]


class ChecklistIn(Schema):
    type_code: str = Field(..., max_length=40)
    title: str = Field(..., max_length=200)
    version: str = Field("", max_length=40)
    items: list[str] = Field(..., max_length=60)
    active: bool = True


class SopItemOut(Schema):
    id: int
    position: int
    text: str


class ChecklistOut(Schema):
    id: int
    organization_id: int
    disaster_type: str
    type_name: str
    title: str
    version: str
    active: bool
    items: list[SopItemOut]


class DrillIn(Schema):
    checklist_id: int
    held_on: dt.date
    region_code: str = Field(..., max_length=13)
    title: str = Field(..., max_length=200)
    completed_item_ids: list[int] = Field(default_factory=list)
    participants: int = Field(0, ge=0)
    notes: str = Field("", max_length=4000)


class DrillOut(Schema):
    id: int
    organization_id: int
    region_code: str
    checklist_id: int
    disaster_type: str
    held_on: dt.date
    title: str
    participants: int
    notes: str
    completed_item_ids: list[int]
    total_items: int


class DrillListOut(Schema):
    count: int
    items: list[DrillOut]


class ReadinessComponentOut(Schema):
    key: str
    label: str
    status: str
    value: float | None
    summary: str
    rule: str
    available: bool
    details: list[dict]


class ReadinessOut(Schema):
    code: str
    name: str
    on: dt.date
    status: str
    overall_rule: str
    codes: list[str]
    components: list[ReadinessComponentOut]


class ZoneReadinessOut(ReadinessOut):
    regions: list[dict]
    provinces: list[str]


class ZoneOut(Schema):
    code: str
    name: str
    region_codes: list[str]


# --- converters ---------------------------------------------------------------------------------------


def _module_out(m: TrainingModule) -> dict:
    return {"id": m.pk, "code": m.code, "title": m.title, "summary": m.summary, "organization_id": m.organization_id,
            "pass_mark_percent": m.pass_mark_percent, "validity_months": m.validity_months,
            "skill_code": m.skill.code if m.skill_id else None, "questions": len(m.quiz), "active": m.active}


def _module_detail(m: TrainingModule) -> dict:
    from .text import sections

    out = _module_out(m)
    out.update({"body": m.body, "sections": sections(m.body),
                "quiz": [{"question": q["question"], "options": q["options"]} for q in m.quiz]})
    return out


def _completion_out(c: TrainingCompletion) -> dict:
    return {"id": c.pk, "module_id": c.module_id, "module_title": c.module.title, "user_id": c.user_id,
            "volunteer_id": c.volunteer_id, "organization_id": c.organization_id, "region_code": c.region_code,
            "score_percent": c.score_percent, "correct": c.correct, "questions": c.questions, "passed": c.passed,
            "completed_at": c.completed_at, "valid_until": c.valid_until}


def _checklist_out(c: SopChecklist) -> dict:
    return {"id": c.pk, "organization_id": c.organization_id, "disaster_type": c.disaster_type_id,
            "type_name": c.disaster_type.name_id, "title": c.title, "version": c.version, "active": c.active,
            "items": [{"id": i.pk, "position": i.position, "text": i.text}
                      for i in c.items.all() if not i.retired]}


def _drill_out(d: Drill) -> dict:
    return {"id": d.pk, "organization_id": d.organization_id, "region_code": d.region_code,
            "checklist_id": d.checklist_id, "disaster_type": d.checklist.disaster_type_id, "held_on": d.held_on,
            "title": d.title, "participants": d.participants, "notes": d.notes,
            "completed_item_ids": sorted(i.pk for i in d.completed_items.all()),
            "total_items": sum(1 for i in d.checklist.items.all() if not i.retired)}


def _readiness_out(result: dict) -> dict:
    out = dict(result)
    out["components"] = [vars(c) for c in result["components"]]
    return out


# --- training modules ---------------------------------------------------------------------------------


@router.get("/modules", response={200: list[ModuleOut], 403: ErrorOut}, summary="Training modules (shared)")
def list_modules(request, include_inactive: bool = False):
    return [_module_out(m) for m in services.visible_modules(request.auth, include_inactive=include_inactive)]


@router.post("/modules", response={201: ModuleDetailOut, **ERRORS}, summary="Write a training module")
def create_module(request, payload: ModuleIn):
    m = services.save_module(request.auth, **payload.dict())
    return Status(201, _module_detail(m))


@router.get("/modules/{module_id}", response={200: ModuleDetailOut, **ERRORS},
            summary="One module to read and take (the quiz comes without its answers)")
def get_module(request, module_id: int):
    return _module_detail(services.get_module(request.auth, module_id, include_inactive=True))


@router.put("/modules/{module_id}", response={200: ModuleDetailOut, **ERRORS},
            summary="Change a module (its authoring organisation only)")
def update_module(request, module_id: int, payload: ModuleIn):
    return _module_detail(services.save_module(request.auth, module_id=module_id, **payload.dict()))


@router.post("/modules/{module_id}/attempts", response={201: CompletionOut, **ERRORS},
             summary="Send the answers to a module's quiz: graded and recorded")
def submit_attempt(request, module_id: int, payload: AttemptIn):
    c = services.submit_attempt(request.auth, module_id, payload.answers)
    return Status(201, _completion_out(c))


@router.get("/completions", response={200: CompletionListOut, 403: ErrorOut},
            summary="Training completions: a manager's organisations, else one's own")
def list_completions(request, module_id: int | None = None, passed: bool | None = None,
                     limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = services.visible_completions(request.auth)
    if module_id is not None:
        qs = qs.filter(module_id=module_id)
    if passed is not None:
        qs = qs.filter(passed=passed)
    return {"count": qs.count(), "items": [_completion_out(c) for c in qs[offset:offset + limit]]}


# --- SOP checklists and drills ------------------------------------------------------------------------


@router.get("/checklists", response={200: list[ChecklistOut], 403: ErrorOut},
            summary="SOP checklists per disaster type (shared)")
def list_checklists(request, type_code: str | None = Query(None, max_length=40)):
    qs = services.visible_checklists(request.auth).filter(active=True).prefetch_related("items")
    if type_code:
        qs = qs.filter(disaster_type_id=type_code)
    return [_checklist_out(c) for c in qs]


@router.post("/checklists", response={201: ChecklistOut, **ERRORS}, summary="Write an SOP checklist")
def create_checklist(request, payload: ChecklistIn):
    return Status(201, _checklist_out(services.save_checklist(request.auth, **payload.dict())))


@router.get("/checklists/{checklist_id}", response={200: ChecklistOut, **ERRORS}, summary="One SOP checklist")
def get_checklist(request, checklist_id: int):
    return _checklist_out(services.get_checklist(request.auth, checklist_id))


@router.put("/checklists/{checklist_id}", response={200: ChecklistOut, **ERRORS},
            summary="Change an SOP checklist (its authoring organisation only)")
def update_checklist(request, checklist_id: int, payload: ChecklistIn):
    return _checklist_out(services.save_checklist(request.auth, checklist_id=checklist_id, **payload.dict()))


@router.get("/drills", response={200: DrillListOut, 403: ErrorOut}, summary="Drills of my organisations")
def list_drills(request, type_code: str | None = Query(None, max_length=40),
                limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = services.visible_drills(request.auth).prefetch_related("checklist__items")
    if type_code:
        qs = qs.filter(checklist__disaster_type_id=type_code)
    return {"count": qs.count(), "items": [_drill_out(d) for d in qs[offset:offset + limit]]}


@router.post("/drills", response={201: DrillOut, **ERRORS}, summary="Record a drill and the SOP items it completed")
def create_drill(request, payload: DrillIn):
    return Status(201, _drill_out(services.record_drill(request.auth, **payload.dict())))


@router.get("/drills/{drill_id}", response={200: DrillOut, **ERRORS}, summary="One drill")
def get_drill(request, drill_id: int):
    return _drill_out(services.get_drill(request.auth, drill_id))


# --- readiness ----------------------------------------------------------------------------------------


@router.get("/regions/{code}", response={200: ReadinessOut, **ERRORS},
            summary="Readiness of a province or kab/kota, computed from data, with each component's rule")
def region_readiness(request, code: str, on: dt.date | None = None):
    return _readiness_out(services.readiness_for_region(request.auth, code, on))


@router.get("/border-zones", response={200: list[ZoneOut], 403: ErrorOut},
            summary="Border zones (joint priority) touching my area")
def list_zones(request):
    return [{"code": z.code, "name": z.name, "region_codes": z.region_codes}
            for z in services.visible_zones(request.auth)]


@router.get("/border-zones/{zone_code}", response={200: ZoneReadinessOut, **ERRORS},
            summary="Combined readiness of a border zone's kab/kota on both sides")
def zone_readiness(request, zone_code: str, on: dt.date | None = None):
    return _readiness_out(services.readiness_for_zone(request.auth, zone_code, on))


# --- risk map layers ----------------------------------------------------------------------------------

BBOX_HELP = "min_lon,min_lat,max_lon,max_lat (default: Indonesia)"


@router.get("/layers/events", response={200: dict, **ERRORS}, summary="GeoJSON: disaster events I see")
def layer_events(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                 limit: int = layers.DEFAULT_LIMIT, include_closed: bool = False):
    return layers.events_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit),
                               include_closed=include_closed)


@router.get("/layers/warnings", response={200: dict, **ERRORS},
            summary="GeoJSON: warnings in force and the regions they hit (share covered)")
def layer_warnings(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                   limit: int = layers.DEFAULT_LIMIT, level: int = Query(4, ge=3, le=4)):
    return layers.warnings_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit), level=level)


@router.get("/layers/volunteers", response={200: dict, **ERRORS},
            summary="GeoJSON: volunteers counted per home kelurahan by status (no personal data)")
def layer_volunteers(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                     limit: int = layers.DEFAULT_LIMIT):
    return layers.volunteers_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit))


@router.get("/layers/warehouses", response={200: dict, **ERRORS}, summary="GeoJSON: warehouses")
def layer_warehouses(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                     limit: int = layers.DEFAULT_LIMIT):
    return layers.warehouses_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit))


@router.get("/layers/quakes", response={200: dict, **ERRORS},
            summary="GeoJSON: BMKG catalogued earthquakes 2008-2022, strongest first")
def layer_quakes(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                 limit: int = layers.DEFAULT_LIMIT, min_magnitude: float = Query(5.0, ge=0, le=10),
                 year_from: int = Query(2008, ge=1900, le=2100), year_to: int = Query(2022, ge=1900, le=2100)):
    return layers.quakes_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit),
                               min_magnitude=min_magnitude, year_from=year_from, year_to=year_to)


@router.get("/layers/faults", response={200: dict, **ERRORS}, summary="GeoJSON: fault lines clipped to the box")
def layer_faults(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                 limit: int = layers.DEFAULT_LIMIT):
    return layers.faults_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit))


@router.get("/layers/affected", response={200: dict, **ERRORS},
            summary="GeoJSON: people affected per kelurahan over open events (choropleth)")
def layer_affected(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                   limit: int = layers.DEFAULT_LIMIT, event_id: int | None = None):
    return layers.affected_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit),
                                 event_id=event_id)


@router.get("/layers/border-zones", response={200: dict, **ERRORS},
            summary="GeoJSON: border zones (joint priority) touching my area")
def layer_zones(request, bbox: str | None = Query(None, description=BBOX_HELP, max_length=100),
                limit: int = layers.DEFAULT_LIMIT):
    return layers.zones_layer(request.auth, layers.parse_bbox(bbox), layers.check_limit(limit))
