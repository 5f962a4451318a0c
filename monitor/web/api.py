"""The JSON API under /api/v1, for scripts and other systems: a bearer token (`monitor user token NAME`) stands
for its account, which sees and records what the account may (404 for a cluster outside its regions)."""

from __future__ import annotations

import functools
import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from db.history_queries import history
from db.session import transaction
from monitor import clock
from monitor.actions.facts_import import fact_of
from monitor.actions.record import Recorder
from monitor.errors import InputError, said_of
from monitor.overview import Selection, evaluated, ledger, ranked
from monitor.rules.access import Account
from monitor.views.document import cluster_json, holds_json, rendered, write_document
from monitor.views.history_lines import history_json
from monitor.web.auth import api_user, monitor_app
from monitor.web.cache import EVALUATIONS
from monitor.web.params import day

router = APIRouter(prefix="/api/v1", tags=["monitor"])
Caller = Annotated[Account, Depends(api_user)]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token: `Authorization: Bearer TOKEN`."},
    404: {"description": "No such cluster, or one outside the token's regions."},
    422: {"description": "A value is wrong: `{\"error\": one line naming the field and the value}`."},
}


@router.get("/status", responses={200: {"description": "The document of `monitor status --format json`.",
                                        "content": {"application/json": {}}}, **ERRORS})
def status(request: Request, caller: Caller, as_of: str | None = None,
           cluster: Annotated[list[str] | None, Query()] = None, regime: str | None = None,
           region: str | None = None) -> Response:
    """Every cluster the token's account may see (or those asked for), most urgent first, with the acks and
    snoozes in force and the daemon's state: the same document as `monitor status --format json`."""
    app = monitor_app(request)
    selection = Selection.for_account(app, caller, day(as_of, "as_of"), cluster or (), regime, region)
    holds, daemon = ledger(app, selection)
    render = functools.partial(rendered, lang=app.settings.language, indent=False)
    def document() -> tuple[int, list[bytes]]:
        ranking = ranked(app, selection, render, workers=1)
        return sum(ranking.summaries), list(ranking.payloads)

    unrecorded, clusters = EVALUATIONS.get(app, ("status", selection), document)
    baseline = app.monitoring_from()
    out = io.BytesIO()
    write_document(out, selection.as_of, clusters, {
        "daemon": daemon, "holds": holds_json(holds),
        "monitoring_from": None if baseline is None else baseline.isoformat(), "unrecorded": unrecorded}, False)
    return Response(out.getvalue(), media_type="application/json")


@router.get("/clusters/{cluster_id}", responses={200: {"description": "`status`: the cluster as in the status "
                                                                      "document; `history`: as `monitor history "
                                                                      "--format json`."}, **ERRORS})
def cluster(request: Request, caller: Caller, cluster_id: str, as_of: str | None = None) -> dict[str, Any]:
    """One cluster: its status and its whole record."""
    app = monitor_app(request)
    (item,) = evaluated(app, Selection.for_account(app, caller, day(as_of, "as_of"), [cluster_id]))
    with transaction(app.sessions) as session:
        entries = history(session, item.facts.cluster.id)
    return {"status": cluster_json(item, app.settings.language),
            "history": history_json(item.facts.cluster, entries, None)}


class FactIn(BaseModel):
    """A fact, with the columns of a facts file (`monitor template --facts`). Values are checked as the command
    line checks them; Chinese values (通过, 主导产业 …) are accepted."""
    model_config = ConfigDict(extra="forbid")
    cluster: str = Field(description="The cluster's id (any case).")
    fact: str = Field(description="report, change, review, assessment, evaluation, rectification, incident or "
                                  "revocation (or 年度报告 …).")
    year: int | str | None = Field(None, description="report, assessment: the year it is on.")
    filed_on: str | None = Field(None, description="report, change: the day it was filed (YYYY-MM-DD).")
    change_kind: str | None = Field(None, description="change: leading_industry, spatial_scope or operator.")
    changed_on: str | None = Field(None, description="change: the day it happened.")
    result: str | None = Field(None, description="review: applied, pass, fail; assessment, evaluation: pass, fail.")
    ground: str | None = Field(None, description="incident: its ground; revocation: what it was revoked for "
                                                 "(an incident's ground, report_not_filed, change_not_filed, "
                                                 "review_not_passed, assessment_failed or other).")
    on: str | None = Field(None, description="review, assessment, evaluation, rectification, incident, revocation: "
                                             "the day.")
    dismissed_on: str | None = Field(None, description="incident: the day it was dismissed.")
    note: str | None = Field(None, description="incident, revocation: a note.")
    reason: str | None = Field(None, description="Why a fact that looks implausible (a review result long before the "
                                                 "validity ends) is right; kept with it, history shows it.")


class FactOut(BaseModel):
    cluster: str
    fact: int | None = Field(description="The number of the version stored; null when it was already recorded.")
    message: str


@router.post("/facts", status_code=201, response_model=FactOut,
             responses={403: {"description": "The account may not record (viewer)."}, **ERRORS})
def record_fact(request: Request, caller: Caller, body: FactIn) -> Any:
    """Record a fact, as `monitor record` does, by the token's account (stored as who recorded it)."""
    if not caller.can_record:
        raise HTTPException(403, f"user {caller.name!r} is a {caller.role} and may not record facts")
    app = monitor_app(request)
    try:
        typed, fact = fact_of(body.model_dump(exclude_none=True, exclude={"reason"}))
    except ValueError as exc:
        raise InputError(said_of(exc)) from None
    with transaction(app.sessions) as session:
        outcome = Recorder(session, app.packs, caller.name, clock.now_utc(), app.today(),
                           regions=caller.regions, vocabulary=app.vocabulary,
                           timezone=app.settings.timezone).record(typed, fact, body.reason)
    body_out = FactOut(cluster=outcome.cluster_id, fact=outcome.number, message=str(outcome.message))
    return JSONResponse(body_out.model_dump(), 201 if outcome.number is not None else 200)
