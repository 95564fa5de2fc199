"""The :class:`City`: a pedestrian network with its barriers, built once, loaded fast.

``City`` wires readers (:mod:`accessibility.sources`), the pure model and analyses
(:mod:`accessibility.model`, :mod:`accessibility.routing`, :mod:`accessibility.analysis`,
:mod:`accessibility.planning`), the survey store and the workspace folder; it holds no
logic of its own beyond that wiring.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
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
from accessibility.analysis.audit import Audit, audit, missing_facilities, population_table, thresholds
from accessibility.analysis.population import age_structure, residents_on_network
from accessibility.constants import FACILITY_COLUMNS, WGS84
from accessibility.errors import (
    AccessibilityError,
    FacilityError,
    InputError,
    PhotoError,
    PlanError,
    ProgrammeError,
    SnapshotError,
    SurveyError,
)
from accessibility.i18n import N_, _, use_language
from accessibility.model.barriers import find_barriers, taxonomy
from accessibility.model.basemap import basemap_with_facilities, select_basemap
from accessibility.model.facilities import categories as all_categories
from accessibility.model.facilities import category, complete_columns, find_facilities
from accessibility.model.gazetteer import Gazetteer, find_places, places_frame
from accessibility.model.network import BuildReport, build_network
from accessibility.model.places import area_names, describe, place_label, place_name_of
from accessibility.model.profiles import Profile, load_profile, load_profiles
from accessibility.model.snapping import network_index
from accessibility.outputs.basemap import basemap_tiles
from accessibility.planning.facility_works import works_table
from accessibility.planning.interventions import load_cost_table
from accessibility.planning.lenses import DEFAULT_LENS, Lens, load_lenses
from accessibility.planning.programme import Programme, parse_budgets
from accessibility.planning.programme import programme as make_programme
from accessibility.planning.progress import YearReport, year_report
from accessibility.planning.ranking import Plan, plan
from accessibility.planning.sheets import BarrierSheet, barrier_sheets
from accessibility.progress import Progress
from accessibility.routing.route import Route, Walkshed, nearest, route, walkshed
from accessibility.routing.router import Router, Routing
from accessibility.snapshots import list_snapshots, load_programme, load_snapshot, save_snapshot
from accessibility.sources.boundaries import boundary_from_file, boundary_name
from accessibility.sources.istat import read_population_by_age
from accessibility.sources.osm import OsmData, read_osm_files
from accessibility.sources.overpass import fetch_osm
from accessibility.sources.registry import Registry, join_facilities, read_registry
from accessibility.sources.roadworks import read_roadworks
from accessibility.surveys.facility import surveyed_answers, with_surveys
from accessibility.surveys.importing import ImportResult, file_sha256, import_file
from accessibility.surveys.merge import merge_barriers
from accessibility.surveys.photos import photo_file
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
        basemap: bytes = b"",
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
        self._store_seen: tuple[str, tuple[int, ...] | None, tuple[int, int]] | None = None
        self._store_file: tuple[Path, str] | None = None
        if facilities is None:
            facilities = gpd.GeoDataFrame(
                columns=[*FACILITY_COLUMNS, "geometry"], geometry="geometry", crs=network.graph["crs"]
            )
        self._facilities: gpd.GeoDataFrame = facilities
        self._surveyed: tuple[tuple[Any, ...], gpd.GeoDataFrame] | None = None
        #: The base map every map draws: a PMTiles archive (empty for old workspaces).
        self.basemap: bytes = basemap
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
        progress: Progress | None = None,
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
            The city's name (default: the place's, the boundary file's, else the one the
            data gives: :func:`accessibility.model.places.place_name_of`).
        profiles
            Mobility profiles to judge barriers with (default: the shipped ones).
        progress
            Told each stage, to show progress.

        Returns
        -------
        City

        Raises
        ------
        OsmFileError, OfflineError, DownloadError, EmptyNetworkError
            The input cannot be read or downloaded, or holds no walkable way.
        """
        progress = progress or Progress()
        files = [Path(p) for p in osm or []]
        if files and place:
            raise InputError(_("give OSM files or a place name, not both"))
        area_polygon: BaseGeometry | None = None
        if files:
            progress.stage(N_("Reading the OpenStreetMap files"))
            data = read_osm_files(files)
            if boundary:
                area_polygon = boundary_from_file(boundary)
            sources: list[dict[str, Any]] = [_describe_file(p) for p in files]
        elif place or boundary:
            progress.stage(N_("Downloading from OpenStreetMap"))
            data, area_polygon = fetch_osm(place=place, boundary=boundary)
            sources = [{"overpass": place or str(boundary)}]
        else:
            raise InputError(_("nothing to build from: give OSM files, a place name or a boundary file"))
        if not name:
            name = (
                (place.split(",")[0].strip() if place else None)
                or (boundary_name(boundary) if boundary else None)
                or place_name_of(data)
                or _folder_name(files)
            )
            log.info("workspace named %r (give --name to choose another)", name)
        progress.stage(N_("Building the network and finding its barriers"))
        return cls.from_osm(data, name=name, sources=sources, area=area_polygon, profiles=profiles)

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
                "nodes_out_of_range": report.nodes_out_of_range,
                "tag_problems": len(report.problems),
            },
        }
        basemap = basemap_tiles(basemap_with_facilities(select_basemap(data), facilities), name)
        log.info("city %s: %d barriers, %d facilities", name, len(barriers), len(facilities))
        return cls(
            G,
            barriers,
            area_frame,
            meta,
            problems,
            profiles=profiles,
            facilities=facilities,
            basemap=basemap,
            places=places,
        )

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
            basemap=workspace.read_basemap(path),
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
            extra_layers={"facilities": self._facilities, "places": self.places},
            basemap=self.basemap,
        )
        self.path = Path(path)
        return out

    # --- survey reports ----------------------------------------------------------------------

    @property
    def store(self) -> SurveyStore:
        """The survey store of the workspace this city was loaded from or saved to."""
        if self.path is None:
            raise SurveyError(
                _(
                    "this city has no workspace folder yet: save it first (city.save(DIR)) "
                    "so survey reports have somewhere to live"
                )
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
        media: Iterable[str | Path] = (),
        form: str | None = None,
    ) -> ImportResult:
        """Import a survey file (CSV, XLSX, GeoJSON, GeoPackage, or a zip export with its
        media) into the store: also the exports of KoboToolbox, ODK Central, QField and
        Google Forms as they come, their photos attached.

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
        media
            More folders or zips holding the photos the rows name (besides the file's
            own folder, its media folders and the zip it came in).
        form
            ``impianto`` for facility sheet surveys (found by their columns when not
            given), ``rilievo`` for barrier reports.

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
            media=media,
            facilities=self._facilities,
            form=form,
        )

    def review_survey(self, report_id: int, status: str, *, note: str | None = None, by: str = "") -> dict[str, Any]:
        """Change a report's status (reported -> verified -> planned -> fixed, or rejected)."""
        return self.store.review(report_id, status, note, by)

    @property
    def barriers(self) -> gpd.GeoDataFrame:
        """The barriers in force: OSM barriers merged with survey reports (recomputed when
        the survey store or the date changes)."""
        today = dt.date.today()
        state = self._store_state()
        key = (state, today, id(self.osm_barriers))
        if self._merged is None or self._merged[0] != key:
            reports = self.surveys if state != (0, 0) else None
            self._merged = (key, merge_barriers(self.osm_barriers, reports, self.network, self.profiles, today))
        return self._merged[1]

    @property
    def facilities(self) -> gpd.GeoDataFrame:
        """The city's facilities (graph CRS); those with a verified (planned, fixed) facility
        sheet survey carry the newest one in column ``survey``, which their sheet applies
        (:func:`~accessibility.model.sheets.facility_sheet`): every sheet built from this
        table, in the audit, the plan, the exports and the web, says what the surveyor
        found (recomputed when the survey store changes)."""
        state = self._store_state()
        if state == (0, 0):
            return self._facilities
        key = (state, id(self._facilities))
        if self._surveyed is None or self._surveyed[0] != key:
            answers = surveyed_answers(self.store.reports())
            self._surveyed = (key, with_surveys(self._facilities, answers))
        return self._surveyed[1]

    @facilities.setter
    def facilities(self, value: gpd.GeoDataFrame) -> None:
        self._facilities = value
        self._surveyed = None

    def _store_state(self) -> tuple[int, int]:
        """The survey store's :meth:`~SurveyStore.state`, asked again only when the file's
        status changes (every route reads the barriers in force: one ``stat`` instead of
        opening the store)."""
        if self.path is None:
            return (0, 0)
        if self._store_file is None or self._store_file[0] != self.path:
            self._store_file = (self.path, str(self.path / settings.survey_store_name))
        file = self._store_file[1]
        try:
            st = os.stat(file)
            raw: tuple[int, ...] | None = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        except OSError:
            raw = None
        seen = self._store_seen
        if seen is not None and seen[0] == file and seen[1] == raw:
            return seen[2]
        state = self.store.state()
        self._store_seen = (file, raw, state)
        return state

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
        usable_by: str | None = None,
        **overrides: Any,
    ) -> Route:
        """The route to the facility of ``category_name`` cheapest to reach for the profile
        (parameters as :meth:`route`); with ``usable_by`` (a profile's name), only among the
        facilities usable with that profile (their sheets meet every need: "the nearest
        pool usable with a wheelchair"; a sheet that does not say is not usable).

        Raises
        ------
        FacilityError
            Unknown category, or none of it in the city (none usable with ``usable_by``).
        """
        facilities = self.facilities
        if usable_by is not None:
            facilities = self._usable_facilities(category_name, self.profile(usable_by), lang)
        return nearest(
            self._router_state(),
            self.barriers,
            facilities,
            origin,
            category_name,
            self.profile(profile, profile_file, **overrides),
            self.profile("walk"),
            lang,
        )

    def _usable_facilities(self, category_name: str, profile: Profile, lang: str | None) -> gpd.GeoDataFrame:
        """The facilities of a destination usable with ``profile``; a clear error when none is."""
        from accessibility.analysis.usable import usable_mask
        from accessibility.model.facilities import destination

        cat = destination(category_name)
        rows = cat.select(self.facilities)
        usable = rows[usable_mask(rows, profile)] if len(rows) else rows
        if len(usable) == 0:
            with use_language(lang):
                raise FacilityError(
                    _(
                        "no {label} is known to be usable with the profile {profile}: the facility sheets say "
                        "something is missing, or do not say (to be surveyed)"
                    ).format(label=_(cat.label).lower(), profile=_(profile.label).lower())
                )
        return usable

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
        names = list(profiles or self.profiles)
        for router in self.routers(names):
            if hierarchies:
                router.prepare()
        _ = state.geometry, self.gazetteer
        self._warm_up(names[0] if names else "walk")
        return self

    def _warm_up(self, profile: str) -> None:
        """One route along the network's first edge, so that the compiled loops of route
        search and assembly (:mod:`~accessibility.routing.kernels`, the spatial index's)
        are loaded now, or compiled: the first time on a machine, some seconds."""
        G = self.network
        for u, v in G.edges():
            a, b = G.nodes[u], G.nodes[v]
            try:
                self.route((a["lat"], a["lon"]), (b["lat"], b["lon"]), profile=profile)
            except AccessibilityError:
                pass  # an edge the profile cannot use: the loops are compiled all the same
            return

    def routers(self, profiles: Iterable[str] | None = None) -> list[Router]:
        """The compiled routers of ``profiles`` (default: all), for the barriers in force."""
        state = self._router_state()
        return [state.router(self.profile(name), self.barriers) for name in profiles or self.profiles]

    def _router_state(self) -> Routing:
        if self._routing is None or self._routing.G is not self.network:
            keeper = workspace.KeptHierarchies(self.path) if self.path is not None else None
            self._routing = Routing(self.network, keeper)
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
        progress: Progress | None = None,
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
        progress
            Told each stage and step, to show progress (the command line's bar).

        Returns
        -------
        Audit
            ``meta["warnings"]`` says when a category asked for has no facility;
            ``meta["notes"]`` what the registries held (places outside the city are
            left out and counted); areas carry a name people use (the neighbourhood's,
            else their main streets) and unreachable facilities their street.
        """
        _check_finite(residents=residents, hex_size_m=hex_size_m)
        progress = progress or Progress()
        progress.stage(N_("Placing residents on the network"))
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
        facilities, read = self._with_registries(registries)
        notes = [n for r in read for n in r.notes()]
        grid = areas_for(self.network, areas, hex_size_m or settings.audit_hex_size_m, id_column=area_id_column)
        grid["name"] = area_names(self.network, grid).to_numpy()
        walk_added = 0 if any(p.name == "walk" for p in chosen) else 1  # the audit's reference
        progress.stage(N_("Computing routes to the facilities"), total=(len(chosen) + walk_added) * len(cats))
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
            step=progress.advance,
        )
        if result.usability is not None and result.sheets:
            result.works = works_table(result.usability, result.sheets, load_cost_table())
        progress.stage(N_("Naming places"))
        if len(result.unreachable):
            named = describe(self.network, result.unreachable.assign(street=""), facilities)
            result.unreachable[["street", "near"]] = named[["street", "near"]].to_numpy()
        result.meta.update(
            {
                "city": self.meta.get("name"),
                "notes": notes,
                "registries": _registry_sources(read),
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

    def _with_registries(
        self, registries: Iterable[tuple[str | Path, str | Path]]
    ) -> tuple[gpd.GeoDataFrame, list[Registry]]:
        """The city's facilities with those of the registries that lie in its area (rows
        elsewhere are left out and counted in each registry's notes)."""
        pairs = list(registries)
        if not pairs:
            return self.facilities, []
        area = self.area.to_crs(WGS84).union_all()
        read = [read_registry(f, m, area=area) for f, m in pairs]
        return join_facilities(self.facilities, read), read

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
        registries: Iterable[tuple[str | Path, str | Path]] = (),
        areas: gpd.GeoDataFrame | None = None,
        area_id_column: str | None = None,
        progress: Progress | None = None,
    ) -> Plan:
        """Rank the interventions on the barriers in force and inside the facilities (what
        makes a reached facility usable: :mod:`accessibility.planning.facility_works`), in
        one list, and fund the top within ``budget``.

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
        registries
            ``(file, mapping file)`` pairs whose places join the OSM facilities, as in
            :meth:`audit`.
        areas, area_id_column
            Neighbourhood polygons: each row gets the name of the one it lies in
            (column ``area``).
        progress
            Told each stage, to show progress.

        Returns
        -------
        Plan
            ``table`` is the ranked list, each row placed by name (``street``, ``near``,
            ``within``); ``funded`` the rows the budget pays for; ``warnings`` says when
            a category asked for has no facility (the same warning as the audit's),
            ``notes`` what the registries held.

        Raises
        ------
        PlanError
            No residents given, or a bad weight.
        """
        _check_finite(budget=budget, residents=residents, threshold_m=threshold_m, threshold_min=threshold_min)
        progress = progress or Progress()
        if weight not in {"residents", "over65", "over80"}:
            raise PlanError(_("weight must be residents, over65 or over80, not {weight}").format(weight=repr(weight)))
        share = 1.0
        if population is not None:
            ages = age_structure(read_population_by_age(population))
            total = float(ages.total) if residents is None else float(residents)
            share = {"residents": 1.0, "over65": ages.share65, "over80": ages.share80}[weight]
        elif residents is not None:
            if weight != "residents":
                raise PlanError(_("weighting by age needs the ISTAT table (population=...)"))
            total = float(residents)
        else:
            raise PlanError(_("say how many people live here: population=ISTAT table or residents=N"))
        names = list(profiles) if profiles else [p for p in self.profiles if p != "walk"]
        chosen = [self.profile(n) for n in names]
        facilities, read = self._with_registries(registries)
        cats = list(categories) if categories else sorted(set(facilities["category"])) or list(all_categories())
        for c in cats:
            category(c)
        progress.stage(N_("Placing residents on the network"))
        people = residents_on_network(self.network, total).to_numpy()
        progress.stage(N_("Ranking the interventions"))
        result = plan(
            self.network,
            self.barriers,
            facilities,
            people,
            chosen,
            cats,
            budget,
            threshold_m=threshold_m,
            threshold_min=threshold_min,
            weight=weight,
            share=share,
            table=load_cost_table(costs) if costs else None,
            facility_works=True,
        )
        progress.stage(N_("Naming places"))
        table = result.table
        if len(table):
            named = describe(self.network, table, facilities)
            table["street"] = named["street"].to_numpy()
            table.insert(int(table.columns.get_loc("street")) + 1, "near", named["near"].to_numpy())
            table.insert(int(table.columns.get_loc("near")) + 1, "within", named["within"].to_numpy())
            if areas is not None:
                grid = areas_for(self.network, areas, id_column=area_id_column)
                names_of = area_names(self.network, grid)
                joined = gpd.sjoin(
                    gpd.GeoDataFrame(geometry=table.geometry.representative_point(), crs=table.crs),
                    grid[["area_id", "geometry"]],
                    predicate="within",
                )
                joined = joined[~joined.index.duplicated(keep="first")]
                table.insert(
                    int(table.columns.get_loc("within")) + 1,
                    "area",
                    joined["area_id"].map(names_of).reindex(table.index).fillna("").to_numpy(),
                )
        result.warnings = missing_facilities(facilities, cats)
        result.notes = [n for r in read for n in r.notes()]
        result.registries = _registry_sources(read)
        result.population_source = "istat" if population is not None else "given"
        return result

    # --- the programme over the years -----------------------------------------------------

    def programme(
        self,
        budgets: dict[int, float] | str,
        *,
        profiles: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        population: str | Path | None = None,
        residents: float | None = None,
        lens: str | Lens = DEFAULT_LENS,
        lenses: str | Path | None = None,
        carry_over: bool = True,
        roadworks: str | Path | gpd.GeoDataFrame | None = None,
        roadworks_crs: int | str | None = None,
        threshold_m: float | None = None,
        threshold_min: float | None = None,
        costs: str | Path | None = None,
    ) -> Programme:
        """The PEBA programme over the years: the ranked interventions given years under
        each year's budget, with who gains year after year (exact).

        Parameters
        ----------
        budgets
            Euros per year, ``{2026: 150000, ...}`` or ``"2026=150.000,2027=200.000"``.
        profiles, categories, population, residents, threshold_m, threshold_min, costs
            As :meth:`plan`.
        lens
            A lens of ``data/lenses.toml`` (or of ``lenses``) by name, or a :class:`Lens`.
        lenses
            The city's own lens file.
        carry_over
            Whether a year's unspent money passes to the next.
        roadworks
            Scheduled roadworks (file, or a table in WGS84 with a ``year`` column): the
            barriers on their streets move to the year of the works at the cost share of
            the cost table (``[roadworks]``).
        roadworks_crs
            The CRS of a CSV roadworks file's WKT (default WGS84).

        Returns
        -------
        Programme

        Raises
        ------
        ProgrammeError
            Bad budgets, an unknown lens.
        PlanError
            No residents given; an age-group lens without the ISTAT table.
        RoadworksError
            A roadworks file that cannot be used.
        """
        if isinstance(budgets, str):
            budgets = parse_budgets(budgets)
        if isinstance(lens, str):
            known = load_lenses(lenses)
            if lens not in known:
                raise ProgrammeError(
                    _("unknown lens {name}; choose one of: {names}").format(name=repr(lens), names=", ".join(known))
                )
            lens = known[lens]
        total, share = self._people_counted(population, residents, lens.group)
        names = list(profiles) if profiles else [p for p in self.profiles if p != "walk"]
        chosen = [self.profile(n) for n in names]
        cats = list(categories) if categories else sorted(set(self.facilities["category"]))
        for c in cats:
            category(c)
        if not cats:
            raise PlanError("the city has no facilities: nothing to reach")
        works = None
        if roadworks is not None:
            frame = roadworks if isinstance(roadworks, gpd.GeoDataFrame) else read_roadworks(roadworks, roadworks_crs)
            works = frame.to_crs(self.crs)
        people = residents_on_network(self.network, total).to_numpy()
        return make_programme(
            self.network,
            self.barriers,
            self.facilities,
            people,
            chosen,
            cats,
            budgets,
            carry_over=carry_over,
            works=works,
            threshold_m=threshold_m,
            threshold_min=threshold_min,
            weight=lens.group,
            share=share,
            table=load_cost_table(costs) if costs else None,
            lens=lens,
        )

    def _people_counted(
        self, population: str | Path | None, residents: float | None, group: str
    ) -> tuple[float, float]:
        """``(residents in all, share of them counted)`` for a group (residents, over65, over80)."""
        if population is not None:
            ages = age_structure(read_population_by_age(population))
            total = float(ages.total) if residents is None else float(residents)
            return total, {"residents": 1.0, "over65": ages.share65, "over80": ages.share80}[group]
        if residents is not None:
            if group != "residents":
                raise PlanError(
                    _("counting people over {age} needs the ISTAT table (--population)").format(age=group[4:])
                )
            return float(residents), 1.0
        raise PlanError(_("say how many people live here: --population ISTAT table or --residents N"))

    # --- dated snapshots and the yearly report ---------------------------------------------

    def keep_snapshot(self, result: Audit, *, day: dt.date | None = None) -> Path:
        """Keep an audit of this city as the snapshot of ``day`` (default today) in the
        workspace, with the barriers in force and the survey state; a snapshot of the same
        day is replaced. Returns its folder (see :mod:`accessibility.snapshots`).

        Raises
        ------
        SurveyError
            The city has no workspace folder.
        """
        if self.path is None:
            raise SurveyError(_("this city has no workspace folder yet: save it first (city.save(DIR))"))
        reports = self.store.reports()
        by_status = {str(k): int(v) for k, v in reports.groupby("status").size().items()} if len(reports) else {}
        return save_snapshot(self.path, day or dt.date.today(), result, self.barriers, by_status)

    def snapshots(self) -> list[tuple[dt.date, Path]]:
        """The dated snapshots of the workspace, oldest first."""
        return list_snapshots(self.path) if self.path is not None else []

    def yearly_report(self, year: int, *, since: int | None = None) -> YearReport:
        """How the city changed in ``year``: its last snapshot of the year against the last
        one of ``since`` (default: the last snapshot before the year), works told apart
        from new data, the programme's progress (see :mod:`accessibility.planning.progress`).

        Raises
        ------
        SnapshotError
            No snapshot in ``year`` (or in ``since``).
        """
        found = self.snapshots()
        in_year = [s for s in found if s[0].year == year]
        if not in_year:
            raise SnapshotError(
                _("no snapshot of {year} in the workspace; every audit keeps one (accessibility audit)").format(
                    year=year
                )
            )
        later_day, later_path = in_year[-1]
        if since is not None:
            chosen = [s for s in found if s[0].year == since and s[0] < later_day]
            if not chosen:
                raise SnapshotError(_("no snapshot of {year} before the one compared").format(year=since))
            earlier_path: Path | None = chosen[-1][1]
        else:
            before = [s for s in found if s[0].year < year]
            earlier_path = before[-1][1] if before else None
        snaps = [load_snapshot(path) for day, path in found if day <= later_day]
        by_path = {s.path: s for s in snaps}
        later = by_path[later_path]
        earlier = by_path[earlier_path] if earlier_path is not None else None
        _meta, G, layers, _problems = workspace.load(later.workspace)
        osm = layers["barriers"]
        if "node" in osm:
            osm["node"] = osm["node"].astype("Int64")
        store = SurveyStore(later.surveys_path)
        return year_report(
            str(self.meta.get("name") or later.meta.get("city") or ""),
            year,
            later,
            earlier,
            snaps,
            G,
            osm,
            store.reports(),
            store.history(),
            self.profiles,
            load_programme(self.path) if self.path is not None else None,
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
            "nodes_out_of_range": int(self.meta.get("build", {}).get("nodes_out_of_range", 0)),
        }

    def sheets(
        self,
        barrier_ids: Iterable[str] | None = None,
        *,
        plan: Plan | None = None,
        profiles: Iterable[str] | None = None,
    ) -> list[BarrierSheet]:
        """The barrier sheets (schede) of a PEBA annex: of the barriers named, or of the
        interventions of ``plan`` in its order (see :mod:`accessibility.planning.sheets`).

        Parameters
        ----------
        barrier_ids
            Barrier codes (``osm-way-34943732-steps``, ``survey-12-raised_kerb``).
        plan
            A plan: its interventions (all, or those of ``barrier_ids``), with their rank,
            funding and gain.
        profiles
            The profiles whose verdict each sheet gives (default: all but ``walk``).

        Returns
        -------
        list of BarrierSheet

        Raises
        ------
        InputError
            A code names no barrier in force.
        """
        ids = list(barrier_ids) if barrier_ids is not None else []
        if plan is not None and not ids:
            ids = [str(b) for b in plan.table["barrier_id"]]
        known = set(self.barriers["barrier_id"].astype(str))
        missing = [i for i in ids if i not in known]
        if missing:
            raise InputError(
                _("no barrier in force has the code {codes}").format(codes=", ".join(repr(m) for m in missing[:5]))
            )
        chosen = list(profiles) if profiles is not None else [p for p in self.profiles if p != "walk"]
        index = network_index(self.network)
        has_store = self.path is not None and self.store.exists()
        return barrier_sheets(
            self.barriers,
            ids,
            osm_barriers=self.osm_barriers,
            surveys=self.surveys if has_store else None,
            history=self.store.history() if has_store else None,
            profiles=chosen,
            edges_near=lambda geometry, radius: index.geoms[index.edges_near(geometry, radius)].tolist(),
            plan_table=plan.table if plan is not None else None,
        )

    def photo(self, path: str) -> bytes | None:
        """The bytes of a stored survey photo (``photos/ab/abcd….jpg``), ``None`` when it
        is not in the workspace; only references the store writes are opened."""
        if self.path is None:
            return None
        try:
            return photo_file(self.path, path).read_bytes()
        except (PhotoError, OSError):
            return None

    def barriers_wgs84(self, lang: str | None = None) -> gpd.GeoDataFrame:
        """The barriers in WGS84 with their label, their place by name (``place``, with the
        ``near`` cross street and the facility or square it is ``within``) and what the rule
        requires, in ``lang`` (default: the language in use), for export."""
        tax = taxonomy()
        barriers = self.barriers
        named = describe(self.network, barriers, self.facilities)
        out = barriers.to_crs(WGS84)
        with use_language(lang):
            out.insert(2, "label", out["kind"].map(lambda k: _(tax[k].label)))
            out.insert(3, "place", [place_label(*r) for r in named.itertuples(index=False)])
            out["street"] = named["street"].to_numpy()
            out.insert(int(out.columns.get_loc("street")) + 1, "near", named["near"].to_numpy())
            out.insert(int(out.columns.get_loc("near")) + 1, "within", named["within"].to_numpy())
            out["rule_text"] = out["kind"].map(lambda k: _(tax[k].rule_text))
        point = out.geometry.representative_point()
        out["lon"], out["lat"] = point.x.round(7), point.y.round(7)
        return out


def _folder_name(files: list[Path]) -> str:
    """The last resort for a name: the folder the files share (a folder of layers is named
    after its place more often than a layer is), else the first file's name."""
    parents = {p.resolve().parent for p in files}
    if len(parents) == 1:
        folder = parents.pop().name
        if folder and folder not in {"data", "tmp", "downloads", "osm"}:
            return folder
    return files[0].name.split(".")[0] if files else "city"


def _registry_sources(read: list[Registry]) -> list[dict[str, str]]:
    """Each registry used, by its source's name and licence (for the reports' footers)."""
    seen: dict[str, str] = {}
    for r in read:
        seen.setdefault(r.mapping.source, r.mapping.licence)
    return [{"name": name, "licence": licence} for name, licence in seen.items()]


def _check_finite(**values: float | None) -> None:
    """Refuse ``nan``, ``inf`` and negative numbers where an amount is asked for (a budget,
    residents, a threshold): :class:`InputError` naming the value and why."""
    for name, value in values.items():
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(_("{name} = {value} is not a number").format(name=name, value=repr(value))) from None
        if not math.isfinite(number):
            raise InputError(_("{name} = {value} is not a finite number").format(name=name, value=repr(value)))
        if number < 0:
            raise InputError(_("{name} = {value} cannot be negative").format(name=name, value=repr(value)))


def _describe_file(path: Path) -> dict[str, Any]:
    return {"file": str(path), "sha256": file_sha256(path), "bytes": path.stat().st_size}
