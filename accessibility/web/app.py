"""The ASGI application: the citizen's page at ``/`` and the HTTP API under ``/api/v1``.

It wires, it computes nothing: profiles, destinations, facilities, barriers, routes,
walksheds and place search all come from one :class:`~accessibility.city.City`, loaded
from the workspace folder and compiled (routers, contraction hierarchies, place index)
when the server starts, before the first request. Route work runs in one worker thread
per process (a compiled router is not thread-safe), off the event loop, each request
bounded in time (``settings.web_request_timeout_s``) and in size (parameters are checked
by :mod:`accessibility.web.inputs`; boxes and result counts are capped).

Every answer is in the request's language (``lang`` parameter, else ``Accept-Language``,
else Italian); bad input gets a 4xx JSON error ``{"error": {"message", "parameter"}}``
saying what to change, never a traceback. Page assets (Leaflet, Swagger UI) are served
from installed packages: nothing is fetched from another server unless the operator sets
a tile layer (``tiles_url``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import json
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from accessibility import settings
from accessibility.analysis.usable import TABLE_PROFILES
from accessibility.city import City
from accessibility.constants import WGS84
from accessibility.errors import AccessibilityError, FacilityError, ProfileError
from accessibility.i18n import LANGUAGES, _, ngettext, use_language
from accessibility.model.barriers import taxonomy
from accessibility.model.facilities import destination, destinations
from accessibility.model.sheets import facility_sheet
from accessibility.model.usability import judge
from accessibility.outputs.facilities import sheet_document
from accessibility.outputs.maps import BASEMAP_SCRIPTS, basemap_page_config, basemap_script
from accessibility.web.inputs import (
    WebInputError,
    check_lang_parameter,
    parse_bbox,
    parse_float,
    parse_latlon,
    parse_minutes,
    parse_overrides,
    pick_language,
)

__all__ = ["API", "create_app"]

log = logging.getLogger(__name__)

API = "/api/v1"
T = TypeVar("T")

#: Destinations offered first: sports facilities (then every other one: services).
SPORTS = "sports"


#: The profile limits a route, nearest or reach request may change, declared once for the
#: API's documentation (:func:`query_parameters`); the values are read, checked and turned
#: into overrides by ``parse_overrides`` (one place for every endpoint).
PROFILE_LIMITS: tuple[tuple[str, str], ...] = (
    ("max_kerb_cm", "highest kerb passed, cm (0-30)"),
    ("max_incline_up_pct", "steepest slope uphill, % (0.5-30)"),
    ("max_incline_down_pct", "steepest slope downhill, % (0.5-30)"),
    ("min_width_cm", "narrowest passage, cm (0-300)"),
    ("max_steps", "most steps climbed (0-1000)"),
    ("unknown", "paths without data: avoid or accept"),
)
FROM = ("from", "start, lat,lon")
PROFILE = ("profile", "a profile's name (/api/v1/profiles); default walk")
LANG = ("lang", "language of the answer: it or en (default: Accept-Language, else it)")


def query_parameters(*params: tuple[str, str]) -> dict[str, Any]:
    """The OpenAPI ``parameters`` of an endpoint that reads its (optional, text) query
    parameters itself, from their names and descriptions.

    The route, nearest and reach endpoints read ``request.query_params`` directly instead
    of declaring a FastAPI parameter each: FastAPI's per-parameter work (and a dependency
    class run in its thread pool) cost 0.8 ms of CPU per request on Milan, more than the
    route's search itself, for text parameters that every endpoint checks anyway
    (:mod:`accessibility.web.inputs`).

    Parameters
    ----------
    *params
        ``(name, description)`` of each query parameter.

    Returns
    -------
    dict
        For the route decorator's ``openapi_extra``.
    """
    return {
        "parameters": [
            {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
            for name, text in params
        ]
    }


class Service:
    """One city, compiled, with the worker thread that runs its CPU work."""

    def __init__(self, city: City, tiles_url: str | None = None, tiles_attribution: str | None = None) -> None:
        self.city = city
        self.tiles_url = tiles_url
        self.tiles_attribution = tiles_attribution
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="city")
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.fast: list[str] = []  # profiles whose routes run on hub labels
        self._network_json: bytes | None = None
        self._barriers: dict[tuple[int, int, str], Any] = {}
        self._sizes: tuple[Any, int, int] | None = None
        area = city.area.to_crs(WGS84).total_bounds
        self.box: tuple[float, float, float, float] = tuple(float(v) for v in area)  # type: ignore[assignment]

    def prepare(self) -> None:
        """Compile every profile's router, the place index and, when the workspace has no
        base map, the network layer the pages draw instead (at start-up, before the first
        request); then build the routers' contraction hierarchies one by one in a
        background thread (routes are exact meanwhile, on the plain search).

        The objects loaded so far (the graph: millions of them on a large city) are then
        moved out of the garbage collector's sight (``gc.freeze``): they live as long as
        the service, and a full collection would otherwise walk them all in the middle of
        some request."""
        self.city.prepare(hierarchies=False)
        self.sizes()
        if not self.city.basemap:
            self.network_geojson()
        gc.collect()
        gc.freeze()
        self.ready.set()
        threading.Thread(target=self._hierarchies, name="hierarchies", daemon=True).start()

    def _hierarchies(self) -> None:
        routers = self.city.routers()
        for router in routers:
            router._building = True  # routes stay on the plain search until their turn
        for router in routers:
            if self.stopping.is_set():
                return
            router.prepare()
            self.fast.append(router.profile.name)
        log.info("every router runs on its contraction hierarchy")

    async def run(self, language: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the worker thread, in ``language``, bounded in time."""
        ctx = contextvars.copy_context()

        def work() -> T:
            with use_language(language):
                return fn(*args, **kwargs)

        def call() -> T:
            return ctx.run(work)

        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self.executor, call), timeout=settings.web_request_timeout_s
            )
        except TimeoutError:
            raise WebInputError(
                _("the request took longer than {seconds} s; try two points closer together").format(
                    seconds=settings.web_request_timeout_s
                ),
                None,
                503,
            ) from None

    def sizes(self) -> tuple[int, int]:
        """The network's node and edge counts, counted once per network (networkx counts
        a multigraph's edges by walking every node: tens of ms on a large city, too much
        for the health check that load balancers and the benchmark's floor ask)."""
        G = self.city.network
        if self._sizes is None or self._sizes[0] is not G:
            self._sizes = (G, G.number_of_nodes(), G.number_of_edges())
        return self._sizes[1], self._sizes[2]

    def barriers_frame(self, lang: str) -> Any:
        """The barriers in force in WGS84 with their labels in ``lang``, kept while the
        barrier table is the same (a survey review makes a new one)."""
        table = self.city.barriers
        key = (id(table), len(table), lang)
        if key not in self._barriers:
            self._barriers = {k: v for k, v in self._barriers.items() if k[:2] == key[:2]}
            self._barriers[key] = self.city.barriers_wgs84(lang)
        return self._barriers[key]

    def network_geojson(self) -> bytes:
        """The pedestrian network as one light GeoJSON layer (each way piece once), made
        once: the pages draw it when the workspace has no base map."""
        if self._network_json is None:
            state = self.city._router_state()
            geo, index = state.geometry, state.index
            lines = [geo.lonlat[geo.start[e] : geo.start[e + 1]] for e in index.fwd.tolist()]
            coords = [np.round(line, 6).tolist() for line in lines if len(line) >= 2]
            doc = {
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": coords},
                "properties": {"name": self.city.meta.get("name")},
            }
            self._network_json = json.dumps(doc, separators=(",", ":")).encode()
        return self._network_json


# --- templates -----------------------------------------------------------------------------


@functools.cache
def templates() -> Environment:
    """The Jinja2 environment of the pages, with the text catalogue."""
    env = Environment(
        loader=PackageLoader("accessibility.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def _leaflet_dir() -> Path:
    return Path(str(resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"))


def _static_dir() -> Path:
    return Path(str(resources.files("accessibility.web") / "static"))


# --- errors ---------------------------------------------------------------------------------


class FastJSON(JSONResponse):
    """JSON serialised by orjson: route answers hold thousands of coordinates."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


def _error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, "parameter": parameter}}, status_code=status)


def _language_of(request: Request) -> str:
    return pick_language(request.query_params.get("lang"), request.headers.get("accept-language"))


# --- the application --------------------------------------------------------------------------


def create_app(
    city: City | str | Path,
    *,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> FastAPI:
    """The web application of one city.

    Parameters
    ----------
    city
        A :class:`City`, or its workspace folder (loaded when the server starts).
    tiles_url
        An online tile layer (``https://.../{z}/{x}/{y}.png``) drawn under the city's
        own layers; without it the page makes no request outside this server.
    tiles_attribution
        The tile layer's attribution text.

    Returns
    -------
    FastAPI
        Serve it with uvicorn (``accessibility serve``).
    """
    holder: dict[str, Service] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = city if isinstance(city, City) else City.load(city)
        service = Service(loaded, tiles_url, tiles_attribution)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(service.executor, service.prepare)
        holder["service"] = service
        log.info("city %s ready", loaded.meta.get("name"))
        yield
        service.stopping.set()
        service.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPIOffline(
        title="accessibility",
        description=_doc_description(),
        version="1",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url=f"{API}/openapi.json",
        static_url="/api/docs-assets",
        swagger_ui_parameters={"validatorUrl": None, "defaultModelsExpandDepth": 0},
    )
    # level 1, not Starlette's 9: a route answer (14 kB of JSON) packs to 21 % of its size
    # instead of 18 % in a third of the CPU (0.19 ms instead of 0.56 ms per answer)
    app.add_middleware(GZipMiddleware, minimum_size=2000, compresslevel=1)
    app.mount("/static/leaflet", StaticFiles(directory=_leaflet_dir()), name="leaflet")
    app.mount("/static/app", StaticFiles(directory=_static_dir()), name="app-static")

    def service() -> Service:
        return holder["service"]

    # --- errors, in the request's language ------------------------------------------

    @app.exception_handler(WebInputError)
    async def web_input_error(request: Request, exc: WebInputError) -> JSONResponse:
        return _error(exc.status, str(exc), exc.parameter)

    @app.exception_handler(AccessibilityError)
    async def domain_error(request: Request, exc: AccessibilityError) -> JSONResponse:
        status = 404 if isinstance(exc, FacilityError) else 422
        parameter = (
            "category" if isinstance(exc, FacilityError) else "profile" if isinstance(exc, ProfileError) else None
        )
        return _error(status, str(exc), parameter)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        with use_language(_language_of(request)):
            first = exc.errors()[0] if exc.errors() else {}
            where = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
            return _error(422, _("the parameter {name} is not valid").format(name=where or "?"), where)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        with use_language(_language_of(request)):
            if exc.status_code == 404:
                message = _("nothing here: see /api/docs for what this server answers")
            elif exc.status_code == 405:
                message = _("this address answers GET requests only")
            else:
                message = str(exc.detail)
        return _error(exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        with use_language(_language_of(request)):
            return _error(500, _("the server failed on this request; it has been logged"))

    # --- API -------------------------------------------------------------------------

    def lang_of(request: Request) -> str:
        code = _language_of(request)
        with use_language(code):  # an unknown lang is refused in the language the browser asks
            check_lang_parameter(request.query_params.get("lang"))
        return code

    @app.get(f"{API}/health", tags=["service"], summary="Is the service up and its city compiled?")
    async def health(request: Request) -> dict[str, Any]:
        s = service()
        c = s.city
        nodes, edges = s.sizes()
        return {
            "status": "ok" if s.ready.is_set() else "starting",
            "fast_routes": list(s.fast),
            "city": c.meta.get("name"),
            "nodes": nodes,
            "edges": edges,
            "profiles": list(c.profiles),
            "bbox": list(s.box),
        }

    @app.get(f"{API}/profiles", tags=["reference"], summary="Mobility profiles with their limits")
    async def profiles(request: Request, lang: str | None = None) -> dict[str, Any]:
        with use_language(lang_of(request)) as code:
            return {"lang": code, "profiles": [_profile_json(p) for p in service().city.profiles.values()]}

    @app.get(f"{API}/categories", tags=["reference"], summary="What 'the nearest ...' can find, sports first")
    async def categories_(request: Request, lang: str | None = None) -> dict[str, Any]:
        with use_language(lang_of(request)) as code:
            facilities = service().city.facilities
            out = []
            for d in destinations().values():
                out.append(
                    {
                        "name": d.name,
                        "label": _(d.label),
                        "group": "sports" if d.category == SPORTS else "services",
                        "group_label": _("Sports") if d.category == SPORTS else _("Services"),
                        "count": len(d.select(facilities)),
                    }
                )
            return {"lang": code, "categories": out}

    @app.get(f"{API}/search", tags=["places"], summary="Places matching typed text (streets, addresses, facilities)")
    async def search(request: Request, q: str | None = None, limit: str | None = None, lang: str | None = None) -> Any:
        code = lang_of(request)
        with use_language(code):
            text = (q or "").strip()
            if len(text) > settings.web_query_max_chars:
                raise WebInputError(_("q: at most {count} characters").format(count=settings.web_query_max_chars), "q")
            n = 8 if not limit else int(parse_float(limit, "limit", 1, 20) or 8)
        results = await service().run(code, service().city.search, text, n)
        return FastJSON({"lang": code, "query": text, "results": results})

    def _route_params(request: Request) -> tuple[str, str, dict[str, Any]]:
        code = lang_of(request)
        with use_language(code):
            params = dict(request.query_params)
            profile = params.get("profile") or "walk"
            if profile not in service().city.profiles:
                raise WebInputError(
                    _("unknown profile {name}; choose one of: {choices}").format(
                        name=repr(profile[:40]), choices=", ".join(service().city.profiles)
                    ),
                    "profile",
                )
            return code, profile, parse_overrides(params)

    @app.get(
        f"{API}/route",
        tags=["routes"],
        summary="An accessible route between two points",
        openapi_extra=query_parameters(FROM, ("to", "destination, lat,lon"), PROFILE, LANG, *PROFILE_LIMITS),
    )
    async def route_(request: Request) -> Any:
        """``from`` and ``to`` as ``lat,lon``; ``profile`` by name (``/profiles``); the
        profile's limits may be changed (``max_kerb_cm`` ...; ``unknown=avoid|accept``).
        Answers a FeatureCollection: the route (its properties as ``City.route`` gives
        them), the plain walking route, stretches with unknown data, barriers avoided or
        blocking."""
        code, name, overrides = _route_params(request)
        s = service()
        with use_language(code):
            origin = parse_latlon(request.query_params.get("from"), "from", s.box)
            target = parse_latlon(request.query_params.get("to"), "to", s.box)
        result = await s.run(code, s.city.route, origin, target, profile=name, lang=code, **overrides)
        return FastJSON(_route_json(result, code))

    @app.get(
        f"{API}/nearest",
        tags=["routes"],
        summary="The route to the nearest facility of a category",
        openapi_extra=query_parameters(
            FROM,
            ("category", "a category's name (/api/v1/categories)"),
            PROFILE,
            LANG,
            ("usable_by", "only facilities usable with this profile (their sheet)"),
            *PROFILE_LIMITS,
        ),
    )
    async def nearest_(request: Request) -> Any:
        """``from`` as ``lat,lon``; ``category`` one of ``/categories``; the rest as
        ``/route``. The route feature's properties name the facility reached. With
        ``usable_by=PROFILE``, only the facilities whose sheet says they are usable with
        that profile ("the nearest pool usable with a wheelchair")."""
        code, name, overrides = _route_params(request)
        s = service()
        category = request.query_params.get("category")
        usable_by = request.query_params.get("usable_by")
        with use_language(code):
            origin = parse_latlon(request.query_params.get("from"), "from", s.box)
            if not category:
                raise WebInputError(_("category is missing: choose one of /api/v1/categories"), "category")
            destination(category)  # an unknown one: 404 with the list
            if usable_by is not None and usable_by not in s.city.profiles:
                raise WebInputError(
                    _("unknown profile {name}; choose one of: {choices}").format(
                        name=repr(usable_by[:40]), choices=", ".join(s.city.profiles)
                    ),
                    "usable_by",
                )
        result = await s.run(
            code, s.city.nearest, origin, category, profile=name, lang=code, usable_by=usable_by, **overrides
        )
        return FastJSON(_route_json(result, code))

    @app.get(f"{API}/facilities/{{ident}}/sheet", tags=["places"], summary="A facility's sheet and who can use it")
    async def facility_sheet_(request: Request, ident: str, lang: str | None = None) -> Any:
        """``ident`` is the facility's OpenStreetMap element as ``way-123`` (``node-``,
        ``relation-``; the ``osm`` property of ``/facilities`` with ``-`` for ``/``). The
        sheet: each field with its value and where it comes from, each entrance, whether
        the facility is usable per profile and what is missing or unknown, A11yJSON."""
        code = lang_of(request)
        s = service()
        with use_language(code):
            kind, _sep, number_ = ident.replace("/", "-").partition("-")
            frame = s.city.facilities
            rows = (
                frame[(frame["osm_type"] == kind) & (frame["osm_id"].astype(str) == number_)] if len(frame) else frame
            )
            if kind not in {"node", "way", "relation"} or not number_.isdigit() or not len(rows):
                raise WebInputError(
                    _(
                        "no facility {ident} in this city: use the osm property of /api/v1/facilities, as way-123"
                    ).format(ident=repr(ident[:40])),
                    "ident",
                    status=404,
                )
            point = rows.geometry.to_crs(WGS84).iloc[0]
            sheet = facility_sheet(rows.iloc[0], (float(point.x), float(point.y)))
            uses = {name: judge(sheet, s.city.profile(name)) for name in TABLE_PROFILES if name in s.city.profiles}
            return FastJSON(sheet_document(sheet, uses, code))

    @app.get(
        f"{API}/reach",
        tags=["routes"],
        summary="Where can I get to? The network within minutes",
        openapi_extra=query_parameters(
            FROM, PROFILE, ("minutes", "minutes such as 5,10,15 (at most 30)"), LANG, *PROFILE_LIMITS
        ),
    )
    async def reach(request: Request) -> Any:
        """``from`` as ``lat,lon``; ``minutes`` such as ``5,10,15`` (at most 30)."""
        code, name, overrides = _route_params(request)
        s = service()
        with use_language(code):
            origin = parse_latlon(request.query_params.get("from"), "from", s.box)
            bands = parse_minutes(request.query_params.get("minutes"), most=settings.web_reach_max_minutes)
        result = await s.run(code, s.city.walkshed, origin, bands, profile=name, lang=code, **overrides)
        return FastJSON(result.to_geojson())

    @app.get(f"{API}/facilities", tags=["places"], summary="Facilities as GeoJSON points")
    async def facilities_(
        request: Request, category: str | None = None, bbox: str | None = None, lang: str | None = None
    ) -> Any:
        code = lang_of(request)
        with use_language(code):
            box = parse_bbox(bbox)
            frame = service().city.facilities
            if category:
                frame = destination(category).select(frame)
            frame = frame.to_crs(WGS84)
            if box is not None and len(frame):
                frame = frame.cx[box[0] : box[2], box[1] : box[3]]
            dests = destinations()
            labels = {d.category: _(d.label) for d in reversed(dests.values()) if not d.match}
            features = []
            for row in frame.head(settings.web_max_features).itertuples():
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {
                            "type": "Point",
                            "coordinates": [round(row.geometry.x, 7), round(row.geometry.y, 7)],
                        },
                        "properties": {
                            "category": row.category,
                            "category_label": labels.get(row.category, row.category),
                            "name": row.name or None,
                            "wheelchair": row.wheelchair or None,
                            "osm": f"{row.osm_type}/{row.osm_id}",
                        },
                    }
                )
            return {
                "type": "FeatureCollection",
                "features": features,
                "lang": code,
                "truncated": len(frame) > len(features),
            }

    @app.get(f"{API}/barriers", tags=["places"], summary="Barriers in force as GeoJSON")
    async def barriers_(
        request: Request, bbox: str | None = None, kind: str | None = None, lang: str | None = None
    ) -> Any:
        code = lang_of(request)
        with use_language(code):
            box = parse_bbox(bbox)
            tax = taxonomy()
            if kind and kind not in tax:
                raise WebInputError(
                    _("unknown barrier kind {kind}; choose one of: {choices}").format(
                        kind=repr(kind[:40]), choices=", ".join(tax)
                    ),
                    "kind",
                )
        frame = await service().run(code, service().barriers_frame, code)
        with use_language(code):
            if kind:
                frame = frame[frame["kind"] == kind]
            if box is not None and len(frame):
                frame = frame[(frame["lon"] >= box[0]) & (frame["lon"] <= box[2])]
                frame = frame[(frame["lat"] >= box[1]) & (frame["lat"] <= box[3])]
            keep = [
                c
                for c in ("kind", "label", "measure", "unit", "threshold", "known", "street", "rule", "source")
                if c in frame
            ]
            features = []
            for row, lon, lat in zip(
                frame[keep].head(settings.web_max_features).to_dict("records"), frame["lon"], frame["lat"]
            ):
                props = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
                features.append(
                    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}
                )
            return {
                "type": "FeatureCollection",
                "features": features,
                "lang": code,
                "truncated": len(frame) > len(features),
            }

    @app.get(f"{API}/network", tags=["places"], summary="The pedestrian network as one GeoJSON feature (map layer)")
    async def network(request: Request) -> Response:
        s = service()
        return Response(await s.run(_language_of(request), s.network_geojson), media_type="application/geo+json")

    # --- the base map: the workspace's archive, read by byte ranges, and its scripts -----------

    @app.get("/basemap.pmtiles", include_in_schema=False)
    async def basemap(request: Request) -> Response:
        data = service().city.basemap
        if not data:
            raise StarletteHTTPException(404)
        return byte_range(data, request.headers.get("range"), "application/vnd.pmtiles")

    @app.get("/static/maps/{name}", include_in_schema=False)
    async def basemap_scripts(name: str) -> Response:
        if name not in BASEMAP_SCRIPTS:
            raise StarletteHTTPException(404)
        return Response(
            basemap_script(name),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    # --- the citizen's page ---------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        code = _language_of(request)
        if request.query_params.get("lang") and request.query_params["lang"] not in LANGUAGES:
            code = LANGUAGES[0]
        s = service()
        with use_language(code):
            html = templates().get_template("index.html").render(**_page_context(s, code))
        return HTMLResponse(html, headers={"Content-Language": code})

    from accessibility.web.office import install_office  # part 2: accounts, surveyors, the office

    # after the API: a request is matched against the routes in order, the API's first
    install_office(app, service, templates())
    return app


def byte_range(data: bytes, header: str | None, media_type: str) -> Response:
    """``data`` as the answer to a request with this ``Range`` header (RFC 9110 §14): the
    part asked for (206), the whole (200) without a header or with several ranges, or 416
    when the range lies outside. The base map's script asks for the parts it draws.

    Parameters
    ----------
    data
        The whole resource.
    header
        The request's ``Range`` header, if any.
    media_type
        The resource's type.

    Returns
    -------
    Response
    """
    total = len(data)
    # already compressed inside (tiles are gzip): no compression on top, which would break ranges
    headers = {"Accept-Ranges": "bytes", "Content-Encoding": "identity", "Cache-Control": "no-cache"}
    spec = (header or "").strip()
    if not spec.startswith("bytes=") or "," in spec:
        return Response(data, media_type=media_type, headers=headers)
    first, _sep, last = spec[len("bytes=") :].partition("-")
    try:
        if first.strip():
            start = int(first)
            end = min(int(last), total - 1) if last.strip() else total - 1
        else:
            start, end = max(total - int(last), 0), total - 1
    except ValueError:
        return Response(data, media_type=media_type, headers=headers)
    if start < 0 or start >= total or end < start:
        return Response(b"", status_code=416, headers={**headers, "Content-Range": f"bytes */{total}"})
    return Response(
        data[start : end + 1],
        status_code=206,
        media_type=media_type,
        headers={**headers, "Content-Range": f"bytes {start}-{end}/{total}"},
    )


# --- JSON shapes ------------------------------------------------------------------------------


def _profile_json(p: Any) -> dict[str, Any]:
    def limit(x: float) -> float | None:
        return None if math.isinf(x) or x >= 100000 else round(float(x), 2)

    return {
        "name": p.name,
        "label": _(p.label),
        "explanation": _(p.explanation) if p.explanation else "",
        "speed_mps": p.speed_mps,
        "limits": {
            "max_kerb_cm": limit(p.max_kerb_cm),
            "max_incline_up_pct": limit(p.max_incline_up_pct) if p.max_incline_up_pct < 100 else None,
            "max_incline_down_pct": limit(p.max_incline_down_pct) if p.max_incline_down_pct < 100 else None,
            "min_width_cm": round(float(p.min_width_cm), 1),
            "max_steps": limit(p.max_steps),
            "unknown": "avoid" if p.unknown == "avoid" else "accept",
        },
    }


def _route_json(route: Any, lang: str) -> dict[str, Any]:
    """A route as the API gives it: a FeatureCollection whose first feature is exactly
    ``route.to_geojson()``, then the walking route, unknown stretches and barriers.
    Coordinates are passed as the route holds them, numpy arrays (orjson writes them as
    JSON arrays): no copy, point by point, per request."""
    with use_language(lang):
        features: list[dict[str, Any]] = [route.to_geojson()]
        features[0]["properties"]["role"] = "route"
        features[0]["properties"]["summary"] = route.message()
        if len(route.walk_line) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": route.walk_line},
                    "properties": {"role": "walk", "length_m": round(route.walk_length_m or 0.0, 2)},
                }
            )
        if route.unknown_lines:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": route.unknown_lines,
                    },
                    "properties": {"role": "unknown", "share": round(route.unknown_share, 4)},
                }
            )
        for role, items in (("avoided", route.barriers_avoided), ("blocking", route.blockers)):
            for b in items:
                if b.get("lon") is None:
                    continue
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [b["lon"], b["lat"]]},
                        "properties": {"role": role, **{k: v for k, v in b.items() if k not in {"lon", "lat"}}},
                    }
                )
        return {
            "type": "FeatureCollection",
            "lang": lang,
            "features": features,
            "barriers_avoided": route.barriers_avoided,
            "blocking_barriers": route.blockers,
        }


def _page_context(s: Service, lang: str) -> dict[str, Any]:
    city = s.city
    facilities = city.facilities
    groups: dict[str, list[dict[str, Any]]] = {"sports": [], "services": []}
    for d in destinations().values():
        count = len(d.select(facilities))
        groups["sports" if d.category == SPORTS else "services"].append(
            {"name": d.name, "label": _(d.label), "count": count}
        )
    profiles = [_profile_json(p) for p in city.profiles.values()]
    other = {"it": "en", "en": "it"}[lang]
    config = {
        "api": API,
        "lang": lang,
        "bbox": list(s.box),
        "tiles": {"url": s.tiles_url, "attribution": s.tiles_attribution} if s.tiles_url else None,
        "basemap": basemap_page_config(city.basemap),
        "profiles": profiles,
        "messages": _page_messages(),
    }
    return {
        "lang": lang,
        "other_lang": other,
        "other_lang_name": {"it": "Italiano", "en": "English"}[other],
        "city_name": city.meta.get("name") or "",
        "profiles": profiles,
        "default_profile": "manual_wheelchair" if "manual_wheelchair" in city.profiles else next(iter(city.profiles)),
        "groups": groups,
        "config": config,
        "basemap_scripts": list(BASEMAP_SCRIPTS) if city.basemap else [],
    }


def _page_messages() -> dict[str, str]:
    """What the page's script says, from the catalogue (in the language in use)."""
    return {
        "searching": _("Searching…"),
        "sheet_title": _("Inside: the facility's sheet"),
        "sheet_usable": _("With {profile}: {status}."),
        "sheet_missing": _("Missing: {missing}."),
        "sheet_unknown": _("Not known yet: {unknown}."),
        "sheet_all": _("Every item of the sheet"),
        "sheet_value": _("{value} (source: {source})"),
        "sheet_unavailable": _("The facility's sheet is not available."),
        "no_match": _("No place matches: try another spelling, or pick the point on the map."),
        "suggestions": _("{count} suggestions: use the up and down arrows, Enter to choose."),
        "computing": _("Computing the route…"),
        "computing_reach": _("Computing where you can get to…"),
        "my_position": _("My position"),
        "position_unavailable": _("Your position is not available: type a place or pick it on the map."),
        "point_on_map": _("Point on the map ({lat}, {lon})"),
        "pick_from": _("Click or tap the map where you start."),
        "pick_to": _("Click or tap the map where you want to go."),
        "from_set": _("Start set: {label}"),
        "to_set": _("Destination set: {label}"),
        "need_from": _("Say where you start: type a place, pick it on the map or use your position."),
        "need_to": _("Say where you want to go, or choose the nearest facility of a kind."),
        "route_found": _("Route found: {summary}"),
        "no_route": _("No accessible route for this profile."),
        "length": _("Length"),
        "time": _("Time"),
        "detour": _("Detour"),
        "detour_value": _("{ratio} times the walking route ({walk} m)"),
        "no_detour": _("none: the same as the walking route"),
        "minutes": _("{minutes} min"),
        "metres": _("{metres} m"),
        "unknown_data": _("Data unknown on {share} of the route (drawn dashed in orange)"),
        "avoided_title": _("Barriers avoided"),
        "avoided_none": _("The walking route has no barrier for this profile."),
        "blocking_title": _("Barriers that block the way, nearest first"),
        "blocking_none": _("The two points are not connected even on foot."),
        "directions_title": _("Step-by-step directions"),
        "facility_reached": _("Destination: {name}"),
        "unnamed_facility": _("{category} without a name"),
        "at_distance": _("after {metres} m"),
        "share": _("Copy the share link"),
        "share_copied": _("Link copied: it opens this same route."),
        "share_manual": _("Copy this link to share the route:"),
        "print": _("Print"),
        "reach_title": _("Where you can get to"),
        "reach_band": _("within {minutes} min: {km} km of paths"),
        "reach_done": _("Reachable network drawn: {bands}."),
        "legend_route": _("Accessible route"),
        "legend_walk": _("Walking route (for comparison)"),
        "legend_unknown": _("Stretch with unknown data"),
        "error": _("Error: {message}"),
        "network_error": _("The server could not be reached. Try again."),
        "start_marker": _("Start"),
        "end_marker": _("Destination"),
        "barrier_avoided_marker": _("Barrier avoided: {label}"),
        "barrier_blocking_marker": _("Barrier blocking: {label}"),
        "value_cm": _("{value} cm"),
        "value_pct": _("{value} %"),
        "value_steps": _("{value} steps"),
        "no_limit": _("no limit"),
        "map_label": _("Map: {city}"),
    }


def _doc_description() -> str:
    return (
        "Accessible pedestrian routes for mobility profiles (wheelchair, walker, blind, pushchair ...), "
        "'the nearest ...' facility, walksheds, place search, facilities and barriers, from a city workspace. "
        "Coordinates are `lat,lon` (WGS84). Answers are in the request's language (`lang=it|en`, else "
        'Accept-Language, else Italian). Bad input gets a 4xx answer `{"error": {"status", "message", '
        '"parameter"}}` saying what to change. Map data © OpenStreetMap contributors (ODbL).'
    )
