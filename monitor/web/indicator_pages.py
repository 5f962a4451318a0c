"""The console's forms of annual monitoring on a cluster's page: one year's indicator values (a field for each
indicator; blank ones are not given) and a plan target. Recorded as `monitor record indicator|target` records
them, all of a form or none; behind the router's CSRF check, and the cluster must be one the account sees."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from db.session import in_transaction
from monitor.actions.accounts import SignedIn
from monitor.actions.record import Outcome
from monitor.app import App
from monitor.errors import BadValue, InputError, Said, said_of
from monitor.web.auth import csrf_checked
from monitor.web.pages import _act, _recorder

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_checked)])


def _number(form: FormData, name: str, whole: bool = False) -> float | int | None:
    text = str(form.get(name, "")).strip()
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        raise BadValue("{field}: {text!r} is not a number", field=name, text=text) from None


@router.post("/clusters/{cluster_id}/indicators")
async def record_indicators(request: Request, cluster_id: str) -> Response:
    def act(app: App, signed: SignedIn, form: FormData) -> Said:
        try:
            year = _number(form, "year", whole=True)
            given = [(code, value) for code in app.vocabulary.by_code
                     if (value := _number(form, code)) is not None]
        except ValueError as exc:
            raise InputError(said_of(exc)) from None
        if year is None:
            raise InputError("{field} is required with {other}", field="year", other="values")
        if not given:
            raise InputError("{field}: empty", field="values")

        def record(session: Session) -> list[Outcome]:
            recorder = _recorder(app, session, signed.account)
            return [recorder.indicator(cluster_id, int(year), code, float(value)) for code, value in given]

        outcomes = in_transaction(app.sessions, record)
        added = sum(1 for o in outcomes if o.number is not None)
        return Said("{id}: {year}: {added} values recorded, {same} already recorded", id=outcomes[0].cluster_id,
                    year=year, added=added, same=len(outcomes) - added)

    return await _act(request, cluster_id, act)


@router.post("/clusters/{cluster_id}/targets")
async def record_target(request: Request, cluster_id: str) -> Response:
    def act(app: App, signed: SignedIn, form: FormData) -> Said:
        try:
            base, target_year = _number(form, "base_year", True), _number(form, "target_year", True)
            target = _number(form, "target")
        except ValueError as exc:
            raise InputError(said_of(exc)) from None
        for name, value in (("base_year", base), ("target_year", target_year), ("target", target)):
            if value is None:
                raise InputError("{field}: empty", field=name)
        indicator = str(form.get("indicator", ""))
        return in_transaction(app.sessions, lambda session: _recorder(app, session, signed.account).target(
            cluster_id, indicator, int(base or 0), int(target_year or 0), float(target or 0))).message

    return await _act(request, cluster_id, act)
