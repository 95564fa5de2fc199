"""The :class:`City`: a pedestrian network with its barriers, built once, loaded fast.

``City`` wires readers (``sources``), pure builders (``network``, ``barriers``) and the
workspace folder (``workspace``); it holds no logic of its own beyond that wiring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely import MultiPoint
from shapely.geometry.base import BaseGeometry

from . import settings, workspace
from .barriers import find_barriers, taxonomy
from .errors import SurveyError
from .facilities import COLUMNS as FACILITY_COLUMNS
from .facilities import complete_columns, find_facilities
from .network import WGS84, BuildReport, build_network
from .profiles import Profile, load_profile, load_profiles
from .sources.osm import OsmData, read_osm_files
from .store import SurveyStore

log = logging.getLogger(__name__)


class City:
    """A city's pedestrian network (``network``), barriers (``barriers``) and facilities.

    ``barriers`` is the set in force: the OpenStreetMap barriers (``osm_barriers``)
    merged with the verified survey reports of the workspace (``surveys``); its column
    ``source`` says ``osm`` or ``survey``.

    Build it from OpenStreetMap files or a download, save it to a workspace folder, and
    load it back::

        city = City.build(osm=["Helsinki.osm.pbf"], name="Helsinki")
        city.save("cities/helsinki")
        city = City.load("cities/helsinki")
    """

    def __init__(self, network: nx.MultiDiGraph, barriers: gpd.GeoDataFrame, area: gpd.GeoDataFrame,
                 meta: dict[str, Any], problems: pd.DataFrame, profiles: dict[str, Profile] | None = None,
                 path: str | Path | None = None, facilities: gpd.GeoDataFrame | None = None) -> None:
        self.network = network
        self.osm_barriers = barriers
        self.area = area
        self.meta = meta
        self.problems = problems
        self.profiles = profiles or load_profiles()
        self.path = Path(path) if path is not None else None
        self._merged: tuple[tuple, gpd.GeoDataFrame] | None = None
        if facilities is None:
            facilities = gpd.GeoDataFrame(columns=FACILITY_COLUMNS + ["geometry"], geometry="geometry",
                                          crs=network.graph["crs"])
        self.facilities = facilities
        self._routing = None

    # --- construction -------------------------------------------------------------------

    @classmethod
    def build(cls, osm: Iterable[str | Path] | None = None, place: str | None = None,
              boundary: str | Path | None = None, name: str | None = None,
              profiles: dict[str, Profile] | None = None) -> City:
        """Build from OSM files (``osm``), or download by ``place`` name or ``boundary`` file.

        With files and a boundary together, the boundary only names the study area.
        """
        files = [Path(p) for p in osm or []]
        if files and place:
            raise ValueError("give OSM files or a place name, not both")
        area_polygon: BaseGeometry | None = None
        if files:
            data = read_osm_files(files)
            if boundary:
                from .sources.overpass import boundary_from_file
                area_polygon = boundary_from_file(boundary)
            sources = [_describe_file(p) for p in files]
        elif place or boundary:
            from .sources.overpass import fetch_osm
            data, area_polygon = fetch_osm(place=place, boundary=boundary)
            sources = [{"overpass": place or str(boundary)}]
        else:
            raise ValueError("nothing to build from: give OSM files, a place name or a boundary file")
        return cls.from_osm(data, name=name or place or (files[0].name.split(".")[0] if files else "city"),
                            sources=sources, area=area_polygon, profiles=profiles)

    @classmethod
    def from_osm(cls, data: OsmData, name: str, sources: list[dict[str, Any]] | None = None,
                 area: BaseGeometry | None = None, profiles: dict[str, Profile] | None = None) -> City:
        """Build from OSM data already in memory (the one path every build takes)."""
        report = BuildReport()
        G = build_network(data, report)
        G.graph["name"] = name
        barriers = find_barriers(G, profiles or load_profiles())
        facilities = find_facilities(data, G.graph["crs"])
        if area is None:
            lonlat = [(d["lon"], d["lat"]) for _, d in G.nodes(data=True)]
            area = MultiPoint(lonlat).convex_hull
        area_frame = gpd.GeoDataFrame({"name": [name]}, geometry=[area], crs=WGS84).to_crs(G.graph["crs"])
        problems = pd.DataFrame([asdict(p) for p in report.problems],
                                columns=["element", "osm_id", "key", "value", "reason"])
        meta = {"name": name, "sources": sources or [],
                "build": {"ways_read": report.ways_read, "ways_walkable": report.ways_walkable,
                          "refs_without_coordinates": report.refs_without_coordinates,
                          "tag_problems": len(report.problems)}}
        log.info("city %s: %d barriers, %d facilities", name, len(barriers), len(facilities))
        return cls(G, barriers, area_frame, meta, problems, profiles=profiles, facilities=facilities)

    @classmethod
    def load(cls, path: str | Path) -> City:
        """Load a workspace folder written by :meth:`save`."""
        meta, G, layers, problems = workspace.load(path)
        barriers = layers["barriers"]
        if "node" in barriers:
            barriers["node"] = barriers["node"].astype("Int64")
        facilities = layers.get("facilities")
        if facilities is not None:
            facilities = complete_columns(facilities)
        return cls(G, barriers, layers["area"], {k: meta[k] for k in ("name", "sources", "build")}, problems,
                   path=path, facilities=facilities)

    def save(self, path: str | Path) -> Path:
        """Write the workspace folder (atomically: all of it or nothing). The OSM barriers
        are saved; survey reports live in the workspace's survey store, kept as it is."""
        out = workspace.save(path, self.meta, self.network, self.osm_barriers, self.area, self.problems,
                             extra_layers={"facilities": self.facilities})
        self.path = Path(path)
        return out

    # --- survey reports ----------------------------------------------------------------------

    @property
    def store(self) -> SurveyStore:
        """The survey store of the workspace this city was loaded from or saved to."""
        if self.path is None:
            raise SurveyError("this city has no workspace folder yet: save it first (city.save(DIR)) "
                              "so survey reports have somewhere to live")
        return SurveyStore(self.path / settings.survey_store_name)

    @property
    def surveys(self) -> gpd.GeoDataFrame:
        """Every survey report with its status, in the graph CRS (empty without a workspace)."""
        frame = self.store.reports() if self.path is not None else SurveyStore("/nonexistent").reports()
        return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
                                crs=WGS84).to_crs(self.crs)

    def import_surveys(self, path: str | Path, surveyor: str, crs: int | None = None,
                       columns: dict[str, str] | None = None, today: dt.date | None = None):
        """Import a survey file (CSV, XLSX, GeoJSON, GeoPackage) into the store.

        Valid rows are stored together or not at all; rows already stored are skipped;
        rejected rows go to ``<name>.rejects.csv`` beside the file. Returns a
        :class:`~accessibility.surveys.ImportResult`.
        """
        from .export import write_csv
        from .sources.surveys import read_survey_file
        from .surveys import ImportResult, flagged_list, rejects_table, validate

        if not surveyor or not str(surveyor).strip():
            raise SurveyError("say who imports the file (surveyor)")
        store = self.store  # fails first when there is no workspace
        path = Path(path)
        table = read_survey_file(path, columns=columns)
        today = today or dt.date.today()
        with store.transaction() as tx:
            validation = validate(table, self.area, self.network, surveyor, today, tx.reports(), crs)
            _, ids = tx.add_reports(validation.accepted, by=surveyor, source_file=str(path),
                                    file_sha256=_describe_file(path)["sha256"], rows=len(table.rows),
                                    rejected=len(validation.rejected_rows),
                                    flagged=len({f.report for f in validation.flags}),
                                    already_stored=len(validation.already_stored))
        rejects_path = path.with_name(f"{path.name.rsplit('.', 1)[0]}.rejects.csv")
        if validation.rejects:
            write_csv(rejects_table(table, validation), rejects_path, sep=table.delimiter or ",")
        else:
            rejects_path.unlink(missing_ok=True)  # an old one would describe errors now fixed
        result = ImportResult(str(path), len(table.rows), ids, validation.rejects, flagged_list(validation, ids),
                              validation.already_stored, str(rejects_path) if validation.rejects else None,
                              validation.notes)
        log.info(result.summary())
        return result

    def review_survey(self, report_id: int, status: str, note: str | None = None, by: str = "") -> dict[str, Any]:
        """Change a report's status (reported -> verified -> planned -> fixed, or rejected)."""
        return self.store.review(report_id, status, note, by)

    @property
    def barriers(self) -> gpd.GeoDataFrame:
        """The barriers in force: OSM barriers merged with survey reports (recomputed when
        the survey store or the date changes)."""
        from .surveys import merge_barriers

        today = dt.date.today()
        state = self.store.state() if self.path is not None else (0, 0)
        key = (state, today, id(self.osm_barriers))
        if self._merged is None or self._merged[0] != key:
            reports = self.surveys if state != (0, 0) else None
            self._merged = (key, merge_barriers(self.osm_barriers, reports, self.network, self.profiles, today))
        return self._merged[1]

    # --- routing (see accessibility.routing) ---------------------------------------------

    def profile(self, name: str = "walk", profile_file: str | Path | None = None, **overrides: Any) -> Profile:
        """A mobility profile by name, from the city's profiles (or ``profile_file``), with
        threshold overrides (``max_kerb_cm=3`` ...)."""
        if profile_file is None and name in self.profiles:
            return self.profiles[name].with_overrides(**overrides)
        return load_profile(name, profile_file).with_overrides(**overrides)

    def route(self, origin: tuple[float, float], destination: tuple[float, float], profile: str = "walk",
              lang: str = "it", profile_file: str | Path | None = None, **overrides: Any):
        """The route for a mobility profile between two ``(lat, lon)`` points.

        Returns a :class:`~accessibility.routing.Route` (``found`` is False, with the
        barriers that block the walking route, when the profile cannot get through).
        """
        from .routing import route

        return route(self._router_state(), self.barriers, origin, destination,
                     self.profile(profile, profile_file, **overrides), self.profile("walk"), lang)

    def nearest(self, origin: tuple[float, float], category: str, profile: str = "walk", lang: str = "it",
                profile_file: str | Path | None = None, **overrides: Any):
        """The route to the facility of ``category`` cheapest to reach for the profile."""
        from .routing import nearest

        return nearest(self._router_state(), self.barriers, self.facilities, origin, category,
                       self.profile(profile, profile_file, **overrides), self.profile("walk"), lang)

    def audit(self, profiles: Iterable[str] | None = None, categories: Iterable[str] | None = None,
              population: str | Path | pd.DataFrame | None = None, residents: float | None = None,
              sections: gpd.GeoDataFrame | None = None, buildings: gpd.GeoDataFrame | None = None,
              registries: Iterable[tuple[str | Path, str | Path]] = (), areas: gpd.GeoDataFrame | None = None,
              area_id_column: str | None = None, hex_size_m: float | None = None,
              distances_m: Iterable[float] | None = None, minutes: Iterable[float] | None = None,
              profile_file: str | Path | None = None, engine=None):
        """The accessibility audit of the city: returns an :class:`~accessibility.audit.Audit`.

        ``population``: the ISTAT table by age (file or frame) for the number of residents
        and the shares over 65 and 80 (else ``residents``, else
        ``settings.audit_default_residents``). ``sections`` (with ``population`` and
        optionally ``over65``/``over80`` columns) or ``buildings`` place people more
        finely. ``registries``: ``(file, mapping file)`` pairs whose places join the OSM
        facilities. ``areas``: neighbourhood polygons (default: hexagons of
        ``hex_size_m``). Profiles and categories default to all.
        """
        from .areas import areas_for
        from .audit import audit, population_table, thresholds
        from .facilities import categories as all_categories
        from .population import age_structure, residents_on_network
        from .profiles import load_profiles
        from .sources.istat import read_population_by_age
        from .sources.registry import join_facilities, read_registry

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
        table = population_table(people, ages, over65, over80)
        known = load_profiles(profile_file) if profile_file else self.profiles
        names = list(profiles) if profiles else list(known)
        chosen = [known[n] if n in known else self.profile(n, profile_file) for n in names]
        cats = list(categories) if categories else list(all_categories())
        for c in cats:
            from .facilities import category
            category(c)  # a clear error for an unknown category
        notes = []
        facilities = self.facilities
        if registries:
            area = self.area.to_crs(WGS84).union_all()
            read = [read_registry(f, m, area=area) for f, m in registries]
            notes = [n for r in read for n in r.notes()]
            facilities = join_facilities(facilities, read)
        grid = areas_for(self.network, areas, hex_size_m or settings.audit_hex_size_m, id_column=area_id_column)
        result = audit(self.network, self.barriers, facilities, chosen, cats, table, grid,
                       thresholds(distances_m, minutes), engine=engine)
        result.meta.update({"city": self.meta.get("name"), "notes": notes,
                            "population_source": "istat" if ages else "uniform",
                            "people_placed_by": "sections" if sections is not None else
                            "buildings" if buildings is not None else "residential street length"})
        log.info("audit of %s: %d profiles x %d categories", self.meta.get("name"), len(chosen), len(cats))
        return result

    def _router_state(self):
        from .routing import Routing

        if self._routing is None or self._routing.G is not self.network:
            self._routing = Routing(self.network)
        return self._routing

    # --- planning (see accessibility.planning) ---------------------------------------------

    def plan(self, budget: float, profiles: Iterable[str] | None = None, categories: Iterable[str] | None = None,
             population: str | Path | None = None, residents: float | None = None, weight: str = "residents",
             threshold_m: float | None = None, threshold_min: float | None = None,
             costs: str | Path | None = None):
        """Rank the interventions on the barriers in force and fund the top within ``budget``.

        Residents come from the ISTAT age table ``population`` (its total; with
        ``weight="over65"`` or ``"over80"`` the figures count that age group) or from
        ``residents`` (a total). Default profiles: all but ``walk``; default categories:
        those with facilities in the city. Returns a :class:`~accessibility.planning.Plan`
        whose ``table`` is the ranked list.
        """
        from .errors import PlanError
        from .facilities import category as check_category
        from .interventions import load_cost_table
        from .planning import plan
        from .population import age_structure, residents_on_network

        if weight not in {"residents", "over65", "over80"}:
            raise PlanError(f"weight must be residents, over65 or over80, not {weight!r}")
        share = 1.0
        if population is not None:
            from .sources.istat import read_population_by_age

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
            check_category(c)
        if not cats:
            raise PlanError("the city has no facilities: nothing to reach")
        people = residents_on_network(self.network, total).to_numpy()
        return plan(self.network, self.barriers, self.facilities, people, chosen, cats, budget,
                    threshold_m=threshold_m, threshold_min=threshold_min, weight=weight, share=share,
                    table=load_cost_table(costs) if costs else None)

    # --- views ---------------------------------------------------------------------------

    @property
    def crs(self) -> str:
        return self.network.graph["crs"]

    def summary(self) -> dict[str, Any]:
        """Counts for people: nodes, edges, km of network, barriers by kind."""
        km = sum(d["length"] for _, _, d in self.network.edges(data=True) if not d["reversed"]) / 1000
        by_kind = self.barriers.groupby(["kind", "known"]).size()
        kinds = {kind: {"known": int(by_kind.get((kind, True), 0)), "unknown": int(by_kind.get((kind, False), 0))}
                 for kind in taxonomy() if kind in set(self.barriers["kind"])}
        return {"name": self.meta.get("name"), "nodes": self.network.number_of_nodes(),
                "edges": self.network.number_of_edges(), "km": round(km, 2),
                "barriers": len(self.barriers), "barriers_by_kind": kinds,
                "tag_problems": len(self.problems)}

    def barriers_wgs84(self) -> gpd.GeoDataFrame:
        """The barriers in WGS84 with labels and rule texts, for export."""
        tax = taxonomy()
        out = self.barriers.to_crs(WGS84)
        out.insert(2, "label_it", out["kind"].map(lambda k: tax[k].label_it))
        out.insert(3, "label_en", out["kind"].map(lambda k: tax[k].label_en))
        out["rule_it"] = out["kind"].map(lambda k: tax[k].rule_it)
        out["rule_en"] = out["kind"].map(lambda k: tax[k].rule_en)
        point = out.geometry.representative_point()
        out["lon"], out["lat"] = point.x.round(7), point.y.round(7)
        return out


def _describe_file(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": str(path), "sha256": digest.hexdigest(), "bytes": path.stat().st_size}
