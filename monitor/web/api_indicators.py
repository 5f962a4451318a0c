"""The API of annual monitoring (issue 28): a cluster's indicator values and plan targets in force, and recording a
year's values (and targets) as `monitor record indicator` does, checked the same way, in one transaction. A
cluster outside the token's regions is a 404, as everywhere in the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.session import transaction
from monitor import clock
from monitor.actions.record import Recorder
from monitor.errors import InputError, UnknownClusterError
from monitor.rules.access import Account
from monitor.rules.indicators import Vocabulary
from monitor.web.auth import api_user, monitor_app

router = APIRouter(prefix="/api/v1", tags=["monitor"])
Caller = Annotated[Account, Depends(api_user)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token: `Authorization: Bearer TOKEN`."},
    404: {"description": "No such cluster, or one outside the token's regions."},
    422: {"description": "A value is wrong: `{\"error\": one line naming the indicator, the value and the range}`."},
}


class IndicatorOut(BaseModel):
    year: int
    indicator: str = Field(description="Its code (`monitor indicators`).")
    label: str = Field(description="The form's Chinese label.")
    unit: str
    value: float
    fact: int = Field(description="The fact number (`monitor amend FACT --value …` corrects it).")


class TargetOut(BaseModel):
    indicator: str
    label: str
    unit: str
    base_year: int
    target_year: int
    target: float
    fact: int


class IndicatorsOut(BaseModel):
    cluster: str
    indicators: list[IndicatorOut] = Field(description="The values in force, by year and indicator.")
    targets: list[TargetOut] = Field(description="The plan targets in force (三年发展规划目标), by indicator.")


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str = Field(description="Its code or the form's Chinese label.")
    base_year: int
    target_year: int
    target: float


class IndicatorsIn(BaseModel):
    """One year's values of a cluster (the row of the data sheet), and plan targets, recorded together."""
    model_config = ConfigDict(extra="forbid")
    year: int | None = Field(None, description="The year the values are for (required with values).")
    values: dict[str, float] = Field(default_factory=dict, description="Each indicator (code or Chinese label) "
                                                                        "and its value, in its unit (65 = 65%).")
    targets: list[TargetIn] = Field(default_factory=list)


class RecordedOut(BaseModel):
    fact: int | None = Field(description="The number stored; null when it was already recorded.")
    message: str


class IndicatorsRecorded(BaseModel):
    cluster: str
    recorded: list[RecordedOut]


def indicators_of(session: Session, cluster_id: str, vocabulary: Vocabulary) -> IndicatorsOut:
    """A cluster's values and targets in force, labelled from the vocabulary (a code no longer in it as itself)."""
    def described(code: str) -> tuple[str, str]:
        found = vocabulary.by_code.get(code)
        return (found.label, found.unit) if found is not None else (code, "")

    values = []
    for number, _, fact in record_db.in_force_of_kind(session, "indicator", [cluster_id]):
        assert fact.year is not None and fact.detail is not None and fact.value is not None
        label, unit = described(fact.detail)
        values.append(IndicatorOut(year=fact.year, indicator=fact.detail, label=label, unit=unit, value=fact.value,
                                   fact=number))
    targets = []
    for number, _, fact in record_db.in_force_of_kind(session, "target", [cluster_id]):
        assert fact.year is not None and fact.detail is not None and fact.value is not None
        assert fact.base_year is not None
        label, unit = described(fact.detail)
        targets.append(TargetOut(indicator=fact.detail, label=label, unit=unit, base_year=fact.base_year,
                                 target_year=fact.year, target=fact.value, fact=number))
    order = {code: n for n, code in enumerate(vocabulary.by_code)}
    values.sort(key=lambda v: (v.year, order.get(v.indicator, len(order)), v.indicator))
    targets.sort(key=lambda t: (order.get(t.indicator, len(order)), t.indicator))
    return IndicatorsOut(cluster=cluster_id, indicators=values, targets=targets)


@router.get("/clusters/{cluster_id}/indicators", response_model=IndicatorsOut, responses=ERRORS)
def indicators(request: Request, caller: Caller, cluster_id: str) -> Any:
    """A cluster's indicator values and plan targets in force, each with its fact number."""
    app = monitor_app(request)
    with transaction(app.sessions) as session:
        row = record_db.cluster(session, cluster_id, regions=caller.regions)
        if row is None:
            raise UnknownClusterError(cluster_id)
        return indicators_of(session, row.id, app.vocabulary)


@router.post("/clusters/{cluster_id}/indicators", status_code=201, response_model=IndicatorsRecorded,
             responses={403: {"description": "The account may not record (viewer)."}, **ERRORS})
def record_indicators(request: Request, caller: Caller, cluster_id: str, body: IndicatorsIn) -> Any:
    """Record a year's values (and targets) by the token's account, all or none: each checked as `monitor record
    indicator` checks it; a repeat changes nothing, a different value for one in force is refused naming the fact
    to amend. 201 when something was stored, 200 when all was recorded already."""
    if not caller.can_record:
        raise HTTPException(403, f"user {caller.name!r} is a {caller.role} and may not record facts")
    if body.values and body.year is None:
        raise InputError("{field} is required with {other}", field="year", other="values")
    if not body.values and not body.targets:
        raise InputError("{field}: empty", field="values")
    app = monitor_app(request)
    with transaction(app.sessions) as session:
        recorder = Recorder(session, app.packs, caller.name, clock.now_utc(), app.today(), regions=caller.regions,
                            vocabulary=app.vocabulary)
        outcomes = [recorder.indicator(cluster_id, body.year or 0, code, value) for code, value in body.values.items()]
        outcomes += [recorder.target(cluster_id, t.indicator, t.base_year, t.target_year, t.target)
                     for t in body.targets]
    recorded = [RecordedOut(fact=o.number, message=str(o.message)) for o in outcomes]
    out = IndicatorsRecorded(cluster=outcomes[0].cluster_id, recorded=recorded)
    return JSONResponse(out.model_dump(), 201 if any(o.number is not None for o in outcomes) else 200)
