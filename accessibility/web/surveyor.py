"""The surveyors' pages (phone first) and the reports API.

``/survey``            the report form: position (GPS with its accuracy, or a tap on
                       the map), kind with its pictogram, the measurement the kind needs,
                       severity, temporary with an end date, notes, up to three photos;
                       reports made offline wait in the browser and go when it is online
``/survey/facility``   the facility sheet (scheda impianto) of a chosen facility: its
                       questions by section, notes, up to three photos; a plain form post,
                       stored as a facility sheet survey (reviewed like a report)
``/survey/mine``       the account's reports with their status and the reviewer's note
``/survey/upload``     a survey file, as ``survey import`` takes it, with the same result
                       per row and the rejects file to download
``/api/v1/reports``    the same for scripts (session + CSRF token, or an API token)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from accessibility import settings
from accessibility.accounts import Account
from accessibility.errors import AccessibilityError
from accessibility.i18n import _, number, use_language
from accessibility.surveys.review import STATUSES
from accessibility.web.auth import Denied, Office
from accessibility.web.reports import (
    FIELDS,
    SHEET,
    STATUS_LABELS,
    ReportRefused,
    facility_choices,
    facility_questions,
    form_kinds,
    parse_status,
    report_json,
    submit_report,
)

__all__ = ["install_surveyor"]

API = "/api/v1"
#: What a survey file may be called once stored (its name is never taken as a path).
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: Workspace folder of the survey files sent through the web (one folder per account).
UPLOADS = "uploads"


def _store_photo(workspace: Path, upload: UploadFile, data: bytes) -> str:
    """Check, clean and store one photo (see :mod:`accessibility.surveys.photos`)."""
    from accessibility.surveys.photos import store_photo

    return store_photo(workspace, data, upload.filename or "").path


async def _read_photos(office: Office, form: Any) -> list[tuple[UploadFile, bytes]]:
    files = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and (f.filename or f.size)]
    if len(files) > settings.web_photos_per_report:
        raise ReportRefused(
            [
                {
                    "field": "photos",
                    "reason": _("at most {count} photos per report").format(count=settings.web_photos_per_report),
                }
            ]
        )
    return [(f, await f.read()) for f in files]


def install_surveyor(app: FastAPI, office: Office) -> None:
    """Add the surveyors' pages and the reports API to ``app``."""
    writer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="surveys")

    async def in_writer(fn: Any, *args: Any, lang: str = "it", **kwargs: Any) -> Any:
        def work() -> Any:
            with use_language(lang):
                return fn(*args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(writer, work)

    async def receive_report(request: Request, account: Account, lang: str) -> dict[str, Any]:
        """Photos stored first (by content: a photo alone is no report), then the report in
        one transaction: a report is stored whole or not at all."""
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            body = await request.json()
            if not isinstance(body, dict):
                raise ReportRefused([{"field": "*", "reason": _("send a JSON object")}])
            fields, photos = body, []
        else:
            form = await office.form(request)
            fields = {k: v for k, v in form.items() if k in FIELDS and isinstance(v, str)}
            photos = await _read_photos(office, form)
        fields = {
            k: (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v) for k, v in fields.items()
        }
        if fields.get("temporary") in ("on", True):
            fields["temporary"] = "yes"
        refs = await store_photos(photos, lang)
        return await in_writer(submit_report, office.city, account.name, fields, refs, lang=lang)

    async def store_photos(photos: list[tuple[UploadFile, bytes]], lang: str) -> list[str]:
        refs = []
        for upload, data in photos:
            try:
                refs.append(await in_writer(_store_photo, office.city.path, upload, data, lang=lang))
            except AccessibilityError as exc:
                raise ReportRefused([{"field": "photos", "reason": str(exc)}]) from None
        return refs

    async def receive_sheet(form: Any, account: Account, lang: str) -> dict[str, Any]:
        """A facility sheet from the form: its answers checked as an imported facility
        row, photos stored first, then the survey in one transaction (as a report)."""
        fields = {SHEET + k: v for k, v in form.items() if k in _sheet_names() and isinstance(v, str)}
        for key, name in (("facility", "facility_element"), ("description", "description")):
            if isinstance(form.get(key), str):
                fields[name] = form[key]
        refs = await store_photos(await _read_photos(office, form), lang)
        return await in_writer(submit_report, office.city, account.name, fields, refs, lang=lang, facility=True)

    def sheet_page(request: Request, status: int, values: dict[str, str], problems: list[dict[str, str]]) -> Response:
        errors: dict[str, str] = {}
        for p in problems:
            field = _FACILITY_ERROR_FIELDS.get(p["field"], p["field"])
            errors[field] = f"{errors[field]}; {p['reason']}" if field in errors else p["reason"]
        groups = facility_questions()
        labels = {q["name"]: q["label"] for g in groups for q in g["questions"]}
        labels.update({"facility": _("Facility or building"), "description": _("Notes"), "photos": _("Photos")})
        return office.render(
            request,
            "survey_facility.html",
            status,
            facilities=facility_choices(office.city.facilities),
            groups=groups,
            labels=labels,
            values=values,
            errors=errors,
            photos_max=settings.web_photos_per_report,
        )

    def reports_of(account: Account, query: dict[str, str]) -> list[dict[str, Any]]:
        frame = office.city.store.reports()
        if not account.can("manager"):
            frame = frame[frame["created_by"] == account.name]
        for key in ("status", "kind"):
            if query.get(key):
                frame = frame[frame[key] == (parse_status(query[key]) if key == "status" else query[key])]
        if query.get("surveyor"):
            frame = frame[frame["surveyor"] == query["surveyor"]]
        frame = frame.sort_values("report_id", ascending=False)
        return [report_json(r) for r in frame.to_dict("records")]

    # --- pages ---------------------------------------------------------------------------

    @app.get("/survey", response_class=HTMLResponse, include_in_schema=False)
    async def report_page(request: Request) -> Response:
        account = await office.require(request, "surveyor", "manager")
        lang = office.language(request)
        with use_language(lang):
            return office.render(
                request,
                "survey_report.html",
                kinds=form_kinds(),
                today=dt.date.today().isoformat(),
                config=_report_config(office),
                errors=[],
                values={},
                account_name=account.name,
            )

    @app.post("/survey/report", response_class=HTMLResponse, include_in_schema=False)
    async def report_post(request: Request) -> Response:
        account = await office.require(request, "surveyor", "manager")
        lang = office.language(request)
        with use_language(lang):
            try:
                result = await receive_report(request, account, lang)
            except ReportRefused as exc:
                form = await office.form(request)
                return office.render(
                    request,
                    "survey_report.html",
                    422,
                    kinds=form_kinds(),
                    today=dt.date.today().isoformat(),
                    config=_report_config(office),
                    errors=exc.problems,
                    values={k: v for k, v in form.items() if isinstance(v, str)},
                    account_name=account.name,
                )
        return RedirectResponse(f"/survey/mine?sent={result['report_id']}", status_code=303)

    @app.get("/survey/facility", response_class=HTMLResponse, include_in_schema=False)
    async def facility_page(request: Request) -> Response:
        await office.require(request, "surveyor", "manager")
        chosen = (request.query_params.get("facility") or "").replace("-", "/", 1)
        with use_language(office.language(request)):
            return sheet_page(request, 200, {"facility": chosen[:40]}, [])

    @app.post("/survey/facility", response_class=HTMLResponse, include_in_schema=False)
    async def facility_post(request: Request) -> Response:
        account = await office.require(request, "surveyor", "manager")
        lang = office.language(request)
        with use_language(lang):
            form = await office.form(request)
            try:
                result = await receive_sheet(form, account, lang)
            except ReportRefused as exc:
                values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
                return sheet_page(request, 422, values, exc.problems)
        return RedirectResponse(f"/survey/mine?sent={result['report_id']}", status_code=303)

    @app.get("/survey/mine", response_class=HTMLResponse, include_in_schema=False)
    async def mine(request: Request) -> Response:
        account = await office.require(request, "surveyor", "manager")
        with use_language(office.language(request)):
            own = Account(account.id, account.name, "surveyor", False, 0, "", None)  # one's own, even for the office
            reports = await in_writer(reports_of, own, {}, lang=office.language(request))
            sent = request.query_params.get("sent")
            return office.render(
                request,
                "survey_mine.html",
                reports=reports,
                sent=sent if sent and sent.isdigit() else None,
                config=_report_config(office),
            )

    @app.get("/survey/photos/{ref:path}", include_in_schema=False)
    async def photo(request: Request, ref: str) -> Response:
        await office.require(request, "surveyor", "manager")
        from accessibility.surveys.photos import photo_file

        with use_language(office.language(request)):
            try:
                path = photo_file(office.city.path, "photos/" + ref)
            except AccessibilityError as exc:
                raise Denied(404, str(exc)) from None
        return FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    @app.get("/survey/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload_page(request: Request) -> Response:
        await office.require(request, "surveyor", "manager")
        with use_language(office.language(request)):
            return office.render(request, "survey_upload.html", result=None, error=None)

    @app.post("/survey/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload(request: Request) -> Response:
        account = await office.require(request, "surveyor", "manager")
        lang = office.language(request)
        with use_language(lang):
            form = await office.form(request)
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return office.render(request, "survey_upload.html", 400, result=None, error=_("choose a file"))
            try:
                target = _upload_path(office.city.path, account.name, upload.filename)
            except ValueError as exc:
                return office.render(request, "survey_upload.html", 400, result=None, error=str(exc))
            data = await upload.read()
            if len(data) > settings.web_upload_max_bytes:
                return office.render(
                    request,
                    "survey_upload.html",
                    413,
                    result=None,
                    error=_("the file is too large: at most {mb} MB").format(
                        mb=settings.web_upload_max_bytes // (1024 * 1024)
                    ),
                )
            try:
                result = await in_writer(_import_upload, office.city, target, data, account.name, lang=lang)
            except AccessibilityError as exc:
                return office.render(request, "survey_upload.html", 422, result=None, error=str(exc))
            return office.render(request, "survey_upload.html", result=result, error=None)

    @app.get("/survey/upload/rejects/{name}", include_in_schema=False)
    async def rejects(request: Request, name: str) -> Response:
        account = await office.require(request, "surveyor", "manager")
        folder = (Path(office.city.path) / UPLOADS / _SAFE_NAME.sub("_", account.name)).resolve()
        path = (folder / name).resolve()
        if _SAFE_NAME.sub("_", name) != name or not name.endswith(".rejects.csv") or path.parent != folder:
            raise Denied(404, _("no such file"))
        if not path.is_file():
            raise Denied(404, _("no such file"))
        return FileResponse(path, media_type="text/csv; charset=utf-8", filename=name)

    # --- API -------------------------------------------------------------------------------

    @app.post(f"{API}/reports", tags=["reports"], summary="Send a barrier report (multipart, with up to 3 photos)")
    async def api_send(request: Request) -> Response:
        """Fields as a survey file's columns (``kind``, ``lat``, ``lon``, ``kerb_height_cm``,
        ``width_cm``, ``incline_pct``, ``step_count``, ``severity``, ``temporary``,
        ``expires_on``, ``description``, ``id``), photos as ``photos``. Authenticated by the
        session and its ``X-CSRF-Token`` header, or ``Authorization: Bearer <API token>``.
        The same ``id`` sent again stores nothing new (``already``: true)."""
        account = await office.require(request, "surveyor", "manager")
        lang = office.language(request)
        with use_language(lang):
            try:
                result = await receive_report(request, account, lang)
            except ReportRefused as exc:
                return JSONResponse(
                    {
                        "error": {
                            "status": 422,
                            "message": str(exc),
                            "parameter": exc.problems[0]["field"] if exc.problems else None,
                            "problems": exc.problems,
                        }
                    },
                    status_code=422,
                )
        return JSONResponse(result, status_code=200 if result["already"] else 201)

    @app.get(f"{API}/reports", tags=["reports"], summary="Reports: a surveyor's own, or all for the office")
    async def api_list(
        request: Request,
        status: str | None = None,
        kind: str | None = None,
        surveyor: str | None = None,
        lang: str | None = None,
    ) -> Response:
        account = await office.require(request, "surveyor", "manager")
        code = office.language(request)
        query = {"status": status or "", "kind": kind or "", "surveyor": surveyor or ""}
        reports = await in_writer(reports_of, account, query, lang=code)
        return JSONResponse({"lang": code, "reports": reports})

    @app.post(f"{API}/reports/{{report}}/review", tags=["reports"], summary="Review a report (the office)")
    async def api_review(request: Request, report: str) -> Response:
        """``status``: verified, rejected (with a ``note`` saying why), planned, fixed or
        reported (Italian names too: verificata, respinta, programmata, risolta); ``report``:
        the report's number or the surveyor's own code."""
        account = await office.require(request, "manager")
        code = office.language(request)
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
            body = body if isinstance(body, dict) else {}
        else:
            body = dict(await office.form(request))
        status, note = body.get("status"), body.get("note")
        with use_language(code):
            if not isinstance(status, str):
                return JSONResponse(
                    {"error": {"status": 422, "message": _("say the new status"), "parameter": "status"}}, 422
                )
            try:
                change = await in_writer(
                    review,
                    office.city,
                    report,
                    status,
                    note if isinstance(note, str) else None,
                    account.name,
                    lang=code,
                )
            except AccessibilityError as exc:
                return JSONResponse({"error": {"status": 422, "message": str(exc), "parameter": "status"}}, 422)
        return JSONResponse(change)


def review(city: Any, report: str, status: str, note: str | None, by: str) -> dict[str, Any]:
    """Review a report named by its number or its surveyor's code (``R-002``), the status
    in English or Italian; the history keeps who."""
    from accessibility.errors import ReviewError

    report_id: int | None = int(report) if str(report).isdigit() else None
    if report_id is None:
        frame = city.store.reports()
        found = frame[frame["ref"] == str(report)]
        if not len(found):
            raise ReviewError(_("no survey report #{report} in the store").format(report=str(report)[:40]))
        report_id = int(found["report_id"].iloc[0])
    return city.review_survey(report_id, parse_status(status), note=(note or "").strip() or None, by=by)


#: Fields of the validation's problems -> the facility form's field they are shown beside.
_FACILITY_ERROR_FIELDS = {"facility_element": "facility", "elemento_osm": "facility", "location": "facility"}


def _sheet_names() -> frozenset[str]:
    from accessibility.model.sheets import sheet_fields

    return frozenset(sheet_fields())


def _report_config(office: Office) -> dict[str, Any]:
    s = office.service
    return {
        "bbox": list(s.box),
        "tiles": {"url": s.tiles_url, "attribution": s.tiles_attribution} if s.tiles_url else None,
        "kinds": {k["name"]: k["measure"] for k in form_kinds()},
        "messages": {
            "locating": _("Finding your position…"),
            "located": _("Position found: accuracy {metres} m."),
            "poor_accuracy": _("Position found, but only to within {metres} m: tap the map where the barrier is."),
            "no_gps": _("The position is not available: tap the map where the barrier is."),
            "tapped": _("Position set on the map."),
            "sending": _("Sending…"),
            "sent": _("Report number {id} sent."),
            "already": _("This report was already sent: number {id}."),
            "queued": _("No connection: the report is kept on this phone and will be sent when you are online."),
            "queue_title": _("Reports waiting to be sent: {count}"),
            "queue_empty": _("No report is waiting to be sent."),
            "queue_sent": _("Sent: {what} (number {id})"),
            "queue_waiting": _("Waiting: {what}"),
            "queue_refused": _("Refused: {what}: {reason}"),
            "need_position": _("Give the position: use the GPS or tap the map."),
            "need_kind": _("Choose the kind of barrier."),
            "error": _("Error: {message}"),
            "map_label": _("Map: tap where the barrier is"),
            "marker": _("Barrier position"),
        },
    }


def _upload_path(workspace: Path, account: str, filename: str) -> Path:
    """Where an uploaded survey file is kept: the account's folder of the workspace, under
    a name made of safe characters only (``../../x`` is ``x`` there, and refused for want
    of a known suffix)."""
    base = _SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip("._") or "file"
    suffix = Path(base).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValueError(
            _("{name}: send a survey file: {suffixes}").format(name=base[:80], suffixes=", ".join(UPLOAD_SUFFIXES))
        )
    folder = (Path(workspace) / UPLOADS / _SAFE_NAME.sub("_", account)).resolve()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    target = (folder / f"{stamp}-{base[-100:]}").resolve()
    if target.parent != folder:  # pragma: no cover - the name has no separator left
        raise ValueError(_("{name}: not a valid file name").format(name=base[:80]))
    return target


def _import_upload(city: Any, target: Path, data: bytes, account: str) -> dict[str, Any]:
    """Keep the file in the account's folder and import it as ``survey import`` does."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    result = city.import_surveys(target, surveyor=account)
    return {
        "file": target.name.split("-", 1)[1],
        "rows": number(result.rows),
        "accepted": number(len(result.accepted)),
        "rejected": number(len(result.rejected_rows)),
        "already": number(len(result.already_stored)),
        "flagged": [{"report": f["report_id"], "row": f["row"], "reason": str(f["reason"])} for f in result.flagged],
        "rejects": [
            {"row": r.row, "field": r.field, "value": r.value, "reason": str(r.reason)} for r in result.rejected
        ],
        "notes": [str(n) for n in result.notes],
        "rejects_file": Path(result.rejects_path).name if result.rejects_path else None,
    }


#: Statuses with their labels, for the pages' filters.
STATUS_CHOICES = [(s, STATUS_LABELS[s]) for s in STATUSES]
