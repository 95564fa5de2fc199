"""The Disability Manager's office: the review queue, the plan and the audit.

``/office/review``   reports on a map and in a list, filtered (status, kind, surveyor,
                     dates, flags), with their photos; verify, reject with a reason, mark
                     planned or fixed, one or many at once. A verified report changes the
                     barriers in force at once: :attr:`City.barriers` follows the store.
``/office/plan``     budget (Italian formats), profiles and services; the ranking is
                     computed once and the page recuts the funded list and the map as the
                     budget changes (:func:`accessibility.planning.ranking.fund`, in the
                     browser too); downloads CSV, XLSX, GeoPackage and the council report.
``/office/audit``    the audit report and its maps, recomputed on request, with the dates
                     of the data it used.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from accessibility import settings
from accessibility.constants import WGS84
from accessibility.errors import AccessibilityError
from accessibility.i18n import N_, _, date, money, number, use_language
from accessibility.model.facilities import destinations
from accessibility.outputs.maps import basemap_page_config
from accessibility.planning.ranking import fund
from accessibility.surveys.review import STATUSES
from accessibility.web.auth import Denied, Office
from accessibility.web.inputs import WebInputError, parse_bbox
from accessibility.web.reports import FLAG_LABELS, STATUS_LABELS, form_kinds, report_json
from accessibility.web.surveyor import review

__all__ = ["install_manager"]

#: Workspace folder of the audit computed from the office's page.
AUDIT_FOLDER = "web_audit"
#: Plans kept in memory for their downloads (the newest ones).
PLANS_KEPT = 4
#: The review actions of the page: (status, label).
ACTIONS = [
    ("verified", N_("Verify")),
    ("rejected", N_("Reject (say why)")),
    ("planned", N_("Mark as planned")),
    ("fixed", N_("Mark as fixed")),
    ("reported", N_("Reopen")),
]


def _filters(query: Any) -> dict[str, str]:
    keys = ("status", "kind", "surveyor", "since", "until", "flag", "bbox")
    out = {k: str(query.get(k) or "")[:80] for k in keys}
    if "status" not in query:
        out["status"] = "reported"
    return out


def _select(frame: Any, f: dict[str, str]) -> Any:
    if f["status"] in STATUSES:
        frame = frame[frame["status"] == f["status"]]
    if f["kind"]:
        frame = frame[frame["kind"] == f["kind"]]
    if f["surveyor"]:
        frame = frame[frame["surveyor"] == f["surveyor"]]
    dates = frame["surveyed_on"].fillna("").astype(str).str[:10]
    if f["since"]:
        frame, dates = frame[dates >= f["since"]], dates[dates >= f["since"]]
    if f["until"]:
        frame = frame[dates <= f["until"]]
    if f["flag"]:
        frame = frame[frame["flags"].fillna("").astype(str).str.split(";").map(lambda x: f["flag"] in x)]
    box = _box(f["bbox"])
    if box is not None:
        w, south, e, n = box
        frame = frame[(frame["lon"] >= w) & (frame["lon"] <= e) & (frame["lat"] >= south) & (frame["lat"] <= n)]
    return frame.sort_values("report_id", ascending=False)


def install_manager(app: FastAPI, office: Office) -> None:
    """Add the office's pages to ``app``."""
    plans: dict[str, dict[str, Any]] = {}
    audit_lock = threading.Lock()

    async def in_city(fn: Any, *args: Any, lang: str = "it") -> Any:
        """CPU work on the city's worker thread (its routers are not thread-safe), without
        the route requests' time limit: a plan or an audit may take minutes."""

        def work() -> Any:
            with use_language(lang):
                return fn(*args)

        return await asyncio.get_running_loop().run_in_executor(office.service.executor, work)

    # --- review --------------------------------------------------------------------------

    def review_context(query: Any) -> dict[str, Any]:
        f = _filters(query)
        frame = office.city.store.reports()
        surveyors = sorted({str(s) for s in frame["surveyor"].dropna()})
        chosen = _select(frame, f)
        reports = [report_json(r) for r in chosen.head(500).to_dict("records")]
        return {
            "filters": f,
            "reports": reports,
            "total": len(chosen),
            "surveyors": surveyors,
            "kinds": form_kinds(),
            "statuses": [(s, _(STATUS_LABELS[s])) for s in STATUSES],
            "flags": [(k, _(v)) for k, v in FLAG_LABELS.items()],
            "actions": [(s, _(label)) for s, label in ACTIONS],
            "config": {
                "bbox": list(office.service.box),
                "tiles": {"url": office.service.tiles_url, "attribution": office.service.tiles_attribution}
                if office.service.tiles_url
                else None,
                "basemap": basemap_page_config(office.service.city.basemap),
                "points": [
                    {"id": r["id"], "lat": r["lat"], "lon": r["lon"], "label": f"{r['id']} · {r['kind_label']}"}
                    for r in reports
                    if r["lat"] is not None
                ],
                "messages": {"map_label": _("Map of the reports listed"), "select": _("Select report {id}")},
            },
        }

    @app.get("/office/review", response_class=HTMLResponse, include_in_schema=False)
    async def review_page(request: Request) -> Response:
        await office.require(request, "manager")
        lang = office.language(request)
        with use_language(lang):
            context = await asyncio.to_thread(_in_language, lang, review_context, request.query_params)
            return office.render(request, "office_review.html", results=None, **context)

    @app.post("/office/review", response_class=HTMLResponse, include_in_schema=False)
    async def review_post(request: Request) -> Response:
        account = await office.require(request, "manager")
        lang = office.language(request)
        form = await office.form(request)
        ids = [i for i in form.getlist("ids") if isinstance(i, str) and i.isdigit()][:500]
        status, note = form.get("status"), form.get("note")
        results = []
        with use_language(lang):
            if not ids or not isinstance(status, str):
                results.append({"ok": False, "text": _("select at least one report and an action")})
            for report_id in ids:
                try:
                    change = await asyncio.to_thread(
                        _in_language,
                        lang,
                        review,
                        office.city,
                        report_id,
                        str(status),
                        note if isinstance(note, str) else None,
                        account.name,
                    )
                    results.append(
                        {
                            "ok": True,
                            "text": _("report {id}: {old} → {new}").format(
                                id=report_id, old=_(STATUS_LABELS[change["from"]]), new=_(STATUS_LABELS[change["to"]])
                            ),
                        }
                    )
                except AccessibilityError as exc:
                    results.append({"ok": False, "text": str(exc)})
            query = {
                k: v for k, v in form.items() if k in {"f_status", "kind", "surveyor", "since", "until", "flag", "bbox"}
            }
            if "f_status" in query:
                query["status"] = query.pop("f_status")
            context = await asyncio.to_thread(_in_language, lang, review_context, query)
            return office.render(request, "office_review.html", results=results, **context)

    # --- plan ------------------------------------------------------------------------------

    def plan_choices() -> dict[str, Any]:
        city = office.city
        facilities = city.facilities
        present = set(facilities["category"]) if len(facilities) else set()
        services = []
        for d in destinations().values():
            if not d.match and d.category in present:
                services.append({"name": d.category, "label": _(d.label)})
        seen: set[str] = set()
        services = [s for s in services if not (s["name"] in seen or seen.add(s["name"]))]  # type: ignore[func-returns-value]
        profiles = [{"name": p.name, "label": _(p.label)} for p in city.profiles.values() if p.name != "walk"]
        return {"services": services, "profiles": profiles, "residents": settings.audit_default_residents}

    @app.get("/office/plan", response_class=HTMLResponse, include_in_schema=False)
    async def plan_page(request: Request) -> Response:
        await office.require(request, "manager")
        with use_language(office.language(request)):
            choices = plan_choices()
            return office.render(
                request,
                "office_plan.html",
                **choices,
                config={
                    "bbox": list(office.service.box),
                    "tiles": {"url": office.service.tiles_url, "attribution": office.service.tiles_attribution}
                    if office.service.tiles_url
                    else None,
                    "basemap": basemap_page_config(office.service.city.basemap),
                    "messages": _plan_messages(),
                },
            )

    @app.post("/office/plan/compute", include_in_schema=False)
    async def plan_compute(request: Request) -> Response:
        await office.require(request, "manager")
        lang = office.language(request)
        form = await office.form(request)
        with use_language(lang):
            try:
                budget = _euros(form.get("budget"))
                residents = float(str(form.get("residents") or settings.audit_default_residents).replace(",", "."))
                if not math.isfinite(residents) or residents <= 0:
                    raise ValueError
            except ValueError as exc:
                message = str(exc) or _("residents: write a positive number")
                return JSONResponse({"error": {"status": 422, "message": message, "parameter": "budget"}}, 422)
            profiles = [p for p in form.getlist("profiles") if isinstance(p, str)] or None
            services = [c for c in form.getlist("services") if isinstance(c, str)] or None
            try:
                plan = await in_city(
                    lambda: office.city.plan(budget, profiles=profiles, categories=services, residents=residents),
                    lang=lang,
                )
            except AccessibilityError as exc:
                return JSONResponse({"error": {"status": 422, "message": str(exc), "parameter": None}}, 422)
            key = secrets.token_urlsafe(12)
            plans[key] = {"plan": plan, "lang": lang}
            for old in list(plans)[:-PLANS_KEPT]:
                del plans[old]
            return JSONResponse(_plan_json(plan, key))

    @app.get("/office/plan/{key}/download.{fmt}", include_in_schema=False)
    async def plan_download(request: Request, key: str, fmt: str) -> Response:
        await office.require(request, "manager")
        lang = office.language(request)
        with use_language(lang):
            kept = plans.get(key)
            if kept is None or fmt not in {"csv", "xlsx", "gpkg", "html"}:
                raise Denied(404, _("this plan is no longer kept: compute it again"))
            try:
                budget = _euros(request.query_params.get("budget"))
            except ValueError as exc:
                return JSONResponse({"error": {"status": 422, "message": str(exc), "parameter": "budget"}}, 422)
            plan = kept["plan"]
            table = plan.table.copy()
            if len(table):
                table["within_budget"] = fund(table, budget)
            recut = dataclasses.replace(plan, table=table, budget=budget)
            folder = Path(tempfile.mkdtemp(prefix="plan-"))
            path = await asyncio.to_thread(
                _in_language, lang, _write_plan, recut, office.city.meta.get("name") or "", lang, fmt, folder
            )
        names = {"csv": "piano.csv", "xlsx": "piano.xlsx", "gpkg": "piano.gpkg", "html": "relazione-piano.html"}
        return FileResponse(path, filename=names[fmt] if lang == "it" else path.name)

    # --- audit -----------------------------------------------------------------------------

    def audit_state() -> dict[str, Any]:
        folder = Path(office.city.path) / AUDIT_FOLDER
        report = folder / "report.html"
        meta_file = Path(office.city.path) / "meta.json"
        built = dt.datetime.fromtimestamp(meta_file.stat().st_mtime, dt.UTC) if meta_file.is_file() else None
        computed = dt.datetime.fromtimestamp(report.stat().st_mtime, dt.UTC) if report.is_file() else None
        maps = sorted(p.relative_to(folder).as_posix() for p in (folder / "maps").glob("*.html")) if computed else []
        return {
            "built": date(built.date()) if built else None,
            "computed": (date(computed.date()) + " " + computed.strftime("%H:%M") + " UTC") if computed else None,
            "has_report": computed is not None,
            "maps": maps,
            "reports": number(len(office.city.store.reports())),
        }

    @app.get("/office/audit", response_class=HTMLResponse, include_in_schema=False)
    async def audit_page(request: Request) -> Response:
        await office.require(request, "manager")
        with use_language(office.language(request)):
            return office.render(request, "office_audit.html", busy=audit_lock.locked(), **audit_state())

    @app.post("/office/audit", response_class=HTMLResponse, include_in_schema=False)
    async def audit_compute(request: Request) -> Response:
        await office.require(request, "manager")
        lang = office.language(request)
        with use_language(lang):
            if not audit_lock.acquire(blocking=False):
                return office.render(request, "office_audit.html", 409, busy=True, **audit_state())
            try:
                await in_city(_audit, office.city, lang, lang=lang)
            finally:
                audit_lock.release()
            return office.render(request, "office_audit.html", busy=False, done=True, **audit_state())

    @app.get("/office/audit/files/{name:path}", include_in_schema=False)
    async def audit_file(request: Request, name: str) -> Response:
        await office.require(request, "manager")
        folder = (Path(office.city.path) / AUDIT_FOLDER).resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise Denied(404, _("no such file"))
        return FileResponse(path)


def _box(value: str) -> tuple[float, float, float, float] | None:
    """The area of the map view a filter asks for (``min lon,min lat,max lon,max lat``);
    a bad one is ignored (the filter then covers the whole city)."""
    try:
        return parse_bbox(value, most_deg=5.0)
    except WebInputError:
        return None


def _in_language(lang: str, fn: Any, *args: Any) -> Any:
    with use_language(lang):
        return fn(*args)


def _euros(value: Any) -> float:
    from accessibility.values import parse_euros

    try:
        budget = parse_euros(str(value or ""))
    except ValueError:
        raise ValueError(
            _(
                "cannot read {value} as euros; write 150000, 150.000, 150.000,00 or 150k "
                "(150,000 is ambiguous: write 150.000)"
            ).format(value=repr(str(value)[:40]))
        ) from None
    if not math.isfinite(budget) or budget < 0:
        raise ValueError(_("{value} is not a finite number").format(value=repr(str(value)[:40])))
    return budget


def _plan_json(plan: Any, key: str) -> dict[str, Any]:
    """The ranked list as the page recuts it: each row's step, cost and whether a budget
    may fund it (as :func:`fund` decides), with its place and position."""
    from accessibility.surveys.schema import kind_label

    table = plan.table
    rows = []
    if len(table):
        points = table.geometry.representative_point().to_crs(WGS84)
        ranked = table["selection"].to_numpy() != "no gain"
        if "people_passing" in table:
            ranked |= table["people_passing"].to_numpy() > 0
        for (_i, r), p, fundable in zip(table.iterrows(), points, ranked):
            rows.append(
                {
                    "rank": int(r["rank"]),
                    "step": int(r["step"]),
                    "cost": float(r["cost"]),
                    "cost_text": money(float(r["cost"])),
                    "fundable": bool(fundable),
                    "kind": kind_label(str(r["kind"])),
                    "street": str(r.get("street") or ""),
                    "near": str(r.get("near") or ""),
                    "people": number(float(r.get("people", 0) or 0)),
                    "lat": round(float(p.y), 7),
                    "lon": round(float(p.x), 7),
                }
            )
    return {"key": key, "rows": rows, "budget": plan.budget}


def _write_plan(plan: Any, city_name: str, lang: str, fmt: str, folder: Path) -> Path:
    """One download of a plan, written by the outputs the ``plan`` command uses."""
    from accessibility.files import write_text
    from accessibility.outputs.export import write_csv, write_table, write_xlsx
    from accessibility.outputs.plan_report import plan_people_table, plan_report_html, plan_sheets, plan_table

    if fmt == "csv":
        return write_csv(plan_people_table(plan, lang), folder / "plan.csv")
    if fmt == "xlsx":
        return write_xlsx(plan_sheets(plan, lang), folder / "plan.xlsx")
    if fmt == "gpkg":
        return write_table(plan_table(plan, lang), folder / "plan.gpkg", "gpkg", layer="plan")
    return write_text(plan_report_html(plan, city_name, lang), folder / "plan-report.html")


def _audit(city: Any, lang: str) -> Path:
    """Audit the city with the barriers in force now and write it into the workspace."""
    from accessibility.outputs.export import write_audit

    result = city.audit()
    return write_audit(result, Path(city.path) / AUDIT_FOLDER, lang, network=city.network, basemap=city.basemap)


def _plan_messages() -> dict[str, str]:
    return {
        "computing": _("Ranking the interventions… (a minute or more on a whole city)"),
        "ranked": _("{count} interventions ranked; {funded} funded with {budget} ({spent} spent)."),
        "bad_budget": _("Write the budget in euros: 150000, 150.000, 150.000,00 or 150k."),
        "error": _("Error: {message}"),
        "funded": _("funded"),
        "not_funded": _("not funded"),
        "map_label": _("Map of the ranked interventions"),
    }
