"""The :class:`City`: a pedestrian network with its barriers, built once, loaded fast.

``City`` wires readers (:mod:`accessibility.sources`), the pure model and analyses
(:mod:`accessibility.model`, :mod:`accessibility.routing`, :mod:`accessibility.analysis`,
:mod:`accessibility.planning`), the survey store and the workspace folder; it holds no
logic of its own beyond that wiring.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely import MultiPoint
from shapely.geometry.base import BaseGeometry

from accessibility import settings, workspace
from accessibility.analysis.areas import areas_for
from accessibility.analysis.audit import Audit, audit, population_table, thresholds
from accessibility.analysis.population import age_structure, residents_on_network
from accessibility.constants import FACILITY_COLUMNS, WGS84
from accessibility.errors import InputError, PlanError, SurveyError
from accessibility.i18n import _, use_language
from accessibility.model.barriers import find_barriers, taxonomy
from accessibility.model.facilities import categories as all_categories
from accessibility.model.facilities import category, complete_columns, find_facilities
from accessibility.model.gazetteer import Gazetteer, find_places, places_frame
from accessibility.model.network import BuildReport, build_network
from accessibility.model.profiles import Profile, load_profile, load_profiles
from accessibility.planning.interventions import load_cost_table
from accessibility.planning.ranking import Plan, plan
from accessibility.routing.route import Route, Walkshed, nearest, route, walkshed
from accessibility.routing.router import Router, Routing
from accessibility.sources.boundaries import boundary_from_file
from accessibility.sources.istat import read_population_by_age
from accessibility.sources.osm import OsmData, read_osm_files
from accessibility.sources.overpass import fetch_osm
from accessibility.sources.registry import join_facilities, read_registry
from accessibility.surveys.importing import ImportResult, file_sha256, import_file
from accessibility.surveys.merge import merge_barriers
from accessibility.surveys.store import SurveyStore

if TYPE_CHECKING:
    from accessibility.analysis.audit import Engine

__all__ = ["City"]

log = logging.getLogger(__name__)


class City:
    """A city's pedestrian network (``network``), barriers (``barriers``) and facilities.

    ``barriers`` is the set in force: the OpenStreetMap barriers (``osm_barriers``)
    merged with the verified survey reports of the workspace (``surveys``); its column
    ``source`` says ``osm`` or ``survey``.

    Examples
    --------
    Build it from OpenStreetMap files or a download, save it to a workspace folder, and
    load it back::

        city = City.build(osm=["Helsinki.osm.pbf"], name="Helsinki")
        city.save("cities/helsinki")
        city = City.load("cities/helsinki")
    """

    def __init__(
        self,
        network: nx.MultiDiGraph,
        barriers: gpd.GeoDataFrame,
        area: gpd.GeoDataFrame,
        meta: dict[str, Any],
        problems: pd.DataFrame,
        *,
        profiles: dict[str, Profile] | None = None,
        path: str | Path | None = None,
        facilities: gpd.GeoDataFrame | None = None,
        places: gpd.GeoDataFrame | None = None,
    ) -> None:
        self.network = network
        self.osm_barriers = barriers
        self.area = area
        self.meta = meta
        self.problems = problems
        self.profiles: dict[str, Profile] = profiles or load_profiles()
        self.path: Path | None = Path(path) if path is not None else None
        self._merged: tuple[tuple[Any, ...], gpd.GeoDataFrame] | None = None
        if facilities is None:
            facilities = gpd.GeoDataFrame(
                columns=[*FACILITY_COLUMNS, "geometry"], geometry="geometry", crs=network.graph["crs"]
            )
        self.facilities: gpd.GeoDataFrame = facilities
        #: Addresses, squares, places and points of interest, for place search.
        self.places: gpd.GeoDataFrame = places_frame(places, network.graph["crs"])
        self._routing: Routing | None = None
        self._gazetteer: Gazetteer | None = None

    # --- construction -------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        osm: Iterable[str | Path] | None = None,
        place: str | None = None,
        boundary: str | Path | None = None,
        name: str | None = None,
        profiles: dict[str, Profile] | None = None,
    ) -> City:
        """Build from OSM files, or download by place name or boundary file.

        Parameters
        ----------
        osm
            OpenStreetMap files (XML, PBF, Overpass JSON, compressed or not), merged.
        place
            A place name to geocode and download (needs internet).
        boundary
            A boundary polygon file: the area to download, or with ``osm`` only the
            name of the study area.
        name
            The city's name (default: the place, else the first file's name).
        profiles
            Mobility profiles to judge barriers with (default: the shipped ones).

        Returns
        -------
        City

        Raises
        ------
        OsmFileError, OfflineError, DownloadError, EmptyNetworkError
            The input cannot be read or downloaded, or holds no walkable way.
        """
        files = [Path(p) for p in osm or []]
        if files and place:
            raise InputError("give OSM files or a place name, not both")
        area_polygon: BaseGeometry | None = None
        if files:
            data = read_osm_files(files)
            if boundary:
                area_polygon = boundary_from_file(boundary)
            sources: list[dict[str, Any]] = [_describe_file(p) for p in files]
        elif place or boundary:
            data, area_polygon = fetch_osm(place=place, boundary=boundary)
            sources = [{"overpass": place or str(boundary)}]
        else:
            raise InputError("nothing to build from: give OSM files, a place name or a boundary file")
        default_name = place or (files[0].name.split(".")[0] if files else "city")
        return cls.from_osm(data, name=name or default_name, sources=sources, area=area_polygon, profiles=profiles)

    @classmethod
    def from_osm(
        cls,
        data: OsmData,
        *,
        name: str,
        sources: list[dict[str, Any]] | None = None,
        area: BaseGeometry | None = None,
        profiles: dict[str, Profile] | None = None,
    ) -> City:
        """Build from OSM data already in memory (the one path every build takes)."""
        report = BuildReport()
        G = build_network(data, report)
        G.graph["name"] = name
        barriers = find_barriers(G, profiles or load_profiles())
        facilities = find_facilities(data, G.graph["crs"])
        places = find_places(data, G.graph["crs"])
        if area is None:
            lonlat = [(d["lon"], d["lat"]) for _, d in G.nodes(data=True)]
            area = MultiPoint(lonlat).convex_hull
        area_frame = gpd.GeoDataFrame({"name": [name]}, geometry=[area], crs=WGS84).to_crs(G.graph["crs"])
        problems = pd.DataFrame(
            [asdict(p) for p in report.problems], columns=["element", "osm_id", "key", "value", "reason"]
        )
        meta = {
            "name": name,
            "sources": sources or [],
            "build": {
                "ways_read": report.ways_read,
                "ways_walkable": report.ways_walkable,
                "refs_without_coordinates": report.refs_without_coordinates,
                "tag_problems": len(report.problems),
            },
        }
        log.info("city %s: %d barriers, %d facilities", name, len(barriers), len(facilities))
        return cls(G, barriers, area_frame, meta, problems, profiles=profiles, facilities=facilities, places=places)

    @classmethod
    def load(cls, path: str | Path) -> City:
        """Load a workspace folder written by :meth:`save`.

        Raises
        ------
        WorkspaceError
            The folder is not a workspace, is damaged, or is of another version.
        """
        meta, G, layers, problems = workspace.load(path)
        barriers = layers["barriers"]
        if "node" in barriers:
            barriers["node"] = barriers["node"].astype("Int64")
        facilities = layers.get("facilities")
        if facilities is not None:
            facilities = complete_columns(facilities)
        return cls(
            G,
            barriers,
            layers["area"],
            {k: meta[k] for k in ("name", "sources", "build")},
            problems,
            path=path,
            facilities=facilities,
            places=layers.get("places"),
        )

    def save(self, path: str | Path) -> Path:
        """Write the workspace folder (atomically: all of it or nothing). The OSM barriers
        are saved; survey reports live in the workspace's survey store, kept as it is."""
        out = workspace.save(
            path,
            self.meta,
            self.network,
            self.osm_barriers,
            self.area,
            self.problems,
            extra_layers={"facilities": self.facilities, "places": self.places},
        )
        self.path = Path(path)
        return out

    # --- survey reports ----------------------------------------------------------------------

    @property
    def store(self) -> SurveyStore:
        """The survey store of the workspace this city was loaded from or saved to."""
        if self.path is None:
            raise SurveyError(
                "this city has no workspace folder yet: save it first (city.save(DIR)) "
                "so survey reports have somewhere to live"
            )
        return SurveyStore(self.path / settings.survey_store_name)

    @property
    def surveys(self) -> gpd.GeoDataFrame:
        """Every survey report with its status, in the graph CRS (empty without a workspace)."""
        frame = self.store.reports() if self.path is not None else SurveyStore("/nonexistent").reports()
        return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=WGS84).to_crs(
            self.crs
        )

    def import_surveys(
        self,
        path: str | Path,
        *,
        surveyor: str,
        crs: int | None = None,
        columns: dict[str, str] | None = None,
        today: dt.date | None = None,
    ) -> ImportResult:
        """Import a survey file (CSV, XLSX, GeoJSON, GeoPackage) into the store.

        Valid rows are stored together or not at all; rows already stored are skipped;
        rejected rows go to ``<name>.rejects.csv`` beside the file.

        Parameters
        ----------
        path
            The survey file.
        surveyor
            Who imports it (a row's own surveyor column wins).
        crs
            EPSG code of x/y columns when the file has no CRS column.
        columns
            More header -> field mappings for files with names of their own.
        today
            The date to check survey dates against (default: today).

        Returns
        -------
        ImportResult
        """
        return import_file(
            self.store,
            path,
            surveyor=surveyor,
            area=self.area,
            network=self.network,
            crs=crs,
            columns=columns,
            today=today,
        )

    def review_survey(self, report_id: int, status: str, *, note: str | None = None, by: str = "") -> dict[str, Any]:
        """Change a report's status (reported -> verified -> planned -> fixed, or rejected)."""
        return self.store.review(report_id, status, note, by)

    @property
    def barriers(self) -> gpd.GeoDataFrame:
        """The barriers in force: OSM barriers merged with survey reports (recomputed when
        the survey store or the date changes)."""
        today = dt.date.today()
        state = self.store.state() if self.path is not None else (0, 0)
        key = (state, today, id(self.osm_barriers))
        if self._merged is None or self._merged[0] != key:
            reports = self.surveys if state != (0, 0) else None
            self._merged = (key, merge_barriers(self.osm_barriers, reports, self.network, self.profiles, today))
        return self._merged[1]

    # --- routing ---------------------------------------------------------------------------

    def profile(self, name: str = "walk", profile_file: str | Path | None = None, **overrides: Any) -> Profile:
        """A mobility profile by name, from the city's profiles (or ``profile_file``), with
        threshold overrides (``max_kerb_cm=3`` ...)."""
        if profile_file is None and name in self.profiles:
            return self.profiles[name].with_overrides(**overrides)
        return load_profile(name, profile_file).with_overrides(**overrides)

    def route(
        self,
        origin: tuple[float, float],
        destination: tuple[float, float],
        *,
        profile: str = "walk",
        lang: str | None = None,
        profile_file: str | Path | None = None,
        **overrides: Any,
    ) -> Route:
        """The route for a mobility profile between two ``(lat, lon)`` points.

        Parameters
        ----------
        origin, destination
            ``(lat, lon)`` in WGS84.
        profile
            A profile name (``walk``, ``manual_wheelchair``, ...).
        lang
            Language of the directions (default: the language in use).
        profile_file
            A TOML file of the user's own profiles.
        **overrides
            Threshold overrides: ``max_kerb_cm``, ``max_incline_up_pct``,
            ``max_incline_down_pct``, ``min_width_cm``, ``max_steps``.

        Returns
        -------
        Route
            ``found`` is False, with the barriers that block the walking route, when the
            profile cannot get through.

        Raises
        ------
        SnapError
            A point is too far from any path the profile may use.
        ProfileError
            Unknown profile or bad override.
        """
        return route(
            self._router_state(),
            self.barriers,
            origin,
            destination,
            self.profile(profile, profile_file, **overrides),
            self.profile("walk"),
            lang,
        )

    def nearest(
        self,
        origin: tuple[float, float],
        category_name: str,
        *,
        profile: str = "walk",
        lang: str | None = None,
        profile_file: str | Path | None = None,
        **overrides: Any,
    ) -> Route:
        """The route to the facility of ``category_name`` cheapest to reach for the profile
        (parameters as :meth:`route`).

        Raises
        ------
        FacilityError
            Unknown category, or none of it in the city.
        """
        return nearest(
            self._router_state(),
            self.barriers,
            self.facilities,
            origin,
            category_name,
            self.profile(profile, profile_file, **overrides),
            self.profile("walk"),
            lang,
        )

    def walkshed(
        self,
        origin: tuple[float, float],
        minutes: Iterable[float] = (5, 10, 15),
        *,
        profile: str = "walk",
        lang: str | None = None,
        **overrides: Any,
    ) -> Walkshed:
        """ "Where can I get to?": the network the profile reaches from ``origin`` within
        each number of ``minutes`` (parameters as :meth:`route`).

        Raises
        ------
        SnapError
            The point is too far from any path the profile can use.
        """
        return walkshed(
            self._router_state(), self.barriers, origin, self.profile(profile, **overrides), list(minutes), lang
        )

    @property
    def gazetteer(self) -> Gazetteer:
        """Place search over the city's streets, places and facilities (built on first use)."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer(self.network, self.facilities, self.places)
        return self._gazetteer

    def search(self, query: str, limit: int = 8, lang: str | None = None) -> list[dict[str, Any]]:
        """Places matching what a person typed ("v. Dante 12", "p.zza Roma", "farmacia"),
        best first, with their ``lat``/``lon`` (or, for "the nearest ...", the
        ``destination`` to give :meth:`nearest`); texts in ``lang``.

        See :mod:`accessibility.model.gazetteer` for what the search forgives.
        """
        with use_language(lang):
            return self.gazetteer.search(query, limit)

    def prepare(self, profiles: Iterable[str] | None = None, hierarchies: bool = True) -> City:
        """Compile the routers of ``profiles`` (default: all) and the place index now, so
        that the first requests of a service do not pay for them; with ``hierarchies``,
        their contraction hierarchies and hub labels too (the fastest routes; seconds to
        minutes per profile on a large city: :meth:`routers` lets a service build them
        later, in another thread)."""
        state = self._router_state()
        for router in self.routers(profiles):
            if hierarchies:
                router.prepare()
        _ = state.geometry, self.gazetteer
        return self

    def routers(self, profiles: Iterable[str] | None = None) -> list[Router]:
        """The compiled routers of ``profiles`` (default: all), for the barriers in force."""
        state = self._router_state()
        return [state.router(self.profile(name), self.barriers) for name in profiles or self.profiles]

    def _router_state(self) -> Routing:
        if self._routing is None or self._routing.G is not self.network:
            self._routing = Routing(self.network)
        return self._routing

    # --- audit -------------------------------------------------------------------------------

    def audit(
        self,
        *,
        profiles: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        population: str | Path | pd.DataFrame | None = None,
        residents: float | None = None,
        sections: gpd.GeoDataFrame | None = None,
        buildings: gpd.GeoDataFrame | None = None,
        registries: Iterable[tuple[str | Path, str | Path]] = (),
        areas: gpd.GeoDataFrame | None = None,
        area_id_column: str | None = None,
        hex_size_m: float | None = None,
        distances_m: Iterable[float] | None = None,
        minutes: Iterable[float] | None = None,
        profile_file: str | Path | None = None,
        engine: Engine | None = None,
    ) -> Audit:
        """The accessibility audit of the city.

        Parameters
        ----------
        profiles, categories
            Which to audit (default: all).
        population
            The ISTAT table by age (file or frame): residents and the shares over 65
            and 80 (else ``residents``, else ``settings.audit_default_residents``).
        sections, buildings
            Census sections (``population``, optionally ``over65``/``over80``) or
            buildings (optionally ``residents``) that place people more finely.
        registries
            ``(file, mapping file)`` pairs whose places join the OSM facilities.
        areas, area_id_column, hex_size_m
            Neighbourhood polygons to score (default: hexagons of ``hex_size_m``).
        distances_m, minutes
            Reach thresholds (default: ``settings.audit_distances_m`` and
            ``settings.audit_minutes``).
        profile_file
            A TOML file of the user's own profiles.
        engine
            The distance engine (tests and benchmarks compare engines).

        Returns
        -------
        Audit
        """
        ages = None
        if population is not None:
            table = population if isinstance(population, pd.DataFrame) else read_population_by_age(population)
            ages = age_structure(table)
        total = residents if residents is not None else ages.total if ages else settings.audit_default_residents
        people = residents_on_network(self.network, total, sections=sections, buildings=buildings)
        over65 = over80 = None
        if sections is not None and {"over65", "over80"} <= set(sections.columns):
            over65 = residents_on_network(self.network, 0, sections=sections.assign(population=sections["over65"]))
            over80 = residents_on_network(self.network, 0, sections=sections.assign(population=sections["over80"]))
        people_table = population_table(people, ages, over65, over80)
        known = load_profiles(profile_file) if profile_file else self.profiles
        names = list(profiles) if profiles else list(known)
        chosen = [known[n] if n in known else self.profile(n, profile_file) for n in names]
        cats = list(categories) if categories else list(all_categories())
        for c in cats:
            category(c)  # a clear error for an unknown category
        notes: list[str] = []
        facilities = self.facilities
        if registries:
            area = self.area.to_crs(WGS84).union_all()
            read = [read_registry(f, m, area=area) for f, m in registries]
            notes = [n for r in read for n in r.notes()]
            facilities = join_facilities(facilities, read)
        grid = areas_for(self.network, areas, hex_size_m or settings.audit_hex_size_m, id_column=area_id_column)
        result = audit(
            self.network,
            self.barriers,
            facilities,
            chosen,
            cats,
            people_table,
            grid,
            thresholds(distances_m, minutes),
            engine=engine,
        )
        result.meta.update(
            {
                "city": self.meta.get("name"),
                "notes": notes,
                "population_source": "istat" if ages else "uniform",
                "people_placed_by": "sections"
                if sections is not None
                else "buildings"
                if buildings is not None
                else "residential street length",
            }
        )
        log.info("audit of %s: %d profiles x %d categories", self.meta.get("name"), len(chosen), len(cats))
        return result

    # --- planning ----------------------------------------------------------------------------

    def plan(
        self,
        budget: float,
        *,
        profiles: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        population: str | Path | None = None,
        residents: float | None = None,
        weight: str = "residents",
        threshold_m: float | None = None,
        threshold_min: float | None = None,
        costs: str | Path | None = None,
    ) -> Plan:
        """Rank the interventions on the barriers in force and fund the top within ``budget``.

        Parameters
        ----------
        budget
            Euros.
        profiles, categories
            Default: all profiles but ``walk``; the categories with facilities in the city.
        population
            The ISTAT age table: its total, and with ``weight="over65"`` or ``"over80"``
            the figures count that age group.
        residents
            A total of residents, without an ISTAT table.
        weight
            ``residents``, ``over65`` or ``over80``.
        threshold_m, threshold_min
            Reach within metres, or minutes at each profile's speed (default 1,000 m).
        costs
            The city's own cost table (default: the shipped ``data/costs.toml``).

        Returns
        -------
        Plan
            ``table`` is the ranked list; ``funded`` the rows the budget pays for.

        Raises
        ------
        PlanError
            No residents given, a bad weight, or no facilities.
        """
        if weight not in {"residents", "over65", "over80"}:
            raise PlanError(f"weight must be residents, over65 or over80, not {weight!r}")
        share = 1.0
        if population is not None:
            ages = age_structure(read_population_by_age(population))
            total = float(ages.total) if residents is None else float(residents)
            share = {"residents": 1.0, "over65": ages.share65, "over80": ages.share80}[weight]
        elif residents is not None:
            if weight != "residents":
                raise PlanError("weighting by age needs the ISTAT table (population=...)")
            total = float(residents)
        else:
            raise PlanError("say how many people live here: population=ISTAT table or residents=N")
        names = list(profiles) if profiles else [p for p in self.profiles if p != "walk"]
        chosen = [self.profile(n) for n in names]
        cats = list(categories) if categories else sorted(set(self.facilities["category"]))
        for c in cats:
            category(c)
        if not cats:
            raise PlanError("the city has no facilities: nothing to reach")
        people = residents_on_network(self.network, total).to_numpy()
        return plan(
            self.network,
            self.barriers,
            self.facilities,
            people,
            chosen,
            cats,
            budget,
            threshold_m=threshold_m,
            threshold_min=threshold_min,
            weight=weight,
            share=share,
            table=load_cost_table(costs) if costs else None,
        )

    # --- views ---------------------------------------------------------------------------

    @property
    def crs(self) -> str:
        """The network's projected CRS (UTM, metres)."""
        return str(self.network.graph["crs"])

    def summary(self) -> dict[str, Any]:
        """Counts for people: nodes, edges, km of network, barriers by kind."""
        km = sum(d["length"] for _, _, d in self.network.edges(data=True) if not d["reversed"]) / 1000
        by_kind = self.barriers.groupby(["kind", "known"]).size()
        kinds = {
            kind: {"known": int(by_kind.get((kind, True), 0)), "unknown": int(by_kind.get((kind, False), 0))}
            for kind in taxonomy()
            if kind in set(self.barriers["kind"])
        }
        return {
            "name": self.meta.get("name"),
            "nodes": self.network.number_of_nodes(),
            "edges": self.network.number_of_edges(),
            "km": round(km, 2),
            "barriers": len(self.barriers),
            "barriers_by_kind": kinds,
            "tag_problems": len(self.problems),
        }

    def barriers_wgs84(self, lang: str | None = None) -> gpd.GeoDataFrame:
        """The barriers in WGS84 with their label and what the rule requires, in ``lang``
        (default: the language in use), for export."""
        tax = taxonomy()
        out = self.barriers.to_crs(WGS84)
        with use_language(lang):
            out.insert(2, "label", out["kind"].map(lambda k: _(tax[k].label)))
            out["rule_text"] = out["kind"].map(lambda k: _(tax[k].rule_text))
        point = out.geometry.representative_point()
        out["lon"], out["lat"] = point.x.round(7), point.y.round(7)
        return out


def _describe_file(path: Path) -> dict[str, Any]:
    return {"file": str(path), "sha256": file_sha256(path), "bytes": path.stat().st_size}
