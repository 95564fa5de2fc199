"""The :class:`City`: a pedestrian network with its barriers, built once, loaded fast.

``City`` wires readers (``sources``), pure builders (``network``, ``barriers``) and the
workspace folder (``workspace``); it holds no logic of its own beyond that wiring.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from . import workspace
from .barriers import find_barriers, taxonomy
from .facilities import COLUMNS as FACILITY_COLUMNS
from .facilities import find_facilities
from .network import WGS84, BuildReport, build_network
from .profiles import Profile, load_profile, load_profiles
from .sources.osm import OsmData, read_osm_files

log = logging.getLogger(__name__)


class City:
    """A city's pedestrian network (``network``), barriers (``barriers``) and facilities.

    Build it from OpenStreetMap files or a download, save it to a workspace folder, and
    load it back::

        city = City.build(osm=["Helsinki.osm.pbf"], name="Helsinki")
        city.save("cities/helsinki")
        city = City.load("cities/helsinki")
        route = city.route((60.1699, 24.9384), (60.1718, 24.9414), profile="manual_wheelchair")
    """

    def __init__(self, network: nx.MultiDiGraph, barriers: gpd.GeoDataFrame, area: gpd.GeoDataFrame,
                 meta: dict[str, Any], problems: pd.DataFrame, facilities: gpd.GeoDataFrame | None = None) -> None:
        self.network = network
        self.barriers = barriers
        self.area = area
        self.meta = meta
        self.problems = problems
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
        return cls(G, barriers, area_frame, meta, problems, facilities)

    @classmethod
    def load(cls, path: str | Path) -> City:
        """Load a workspace folder written by :meth:`save`."""
        meta, G, layers, problems = workspace.load(path)
        barriers = layers["barriers"]
        if "node" in barriers:
            barriers["node"] = barriers["node"].astype("Int64")
        facilities = layers.get("facilities")
        if facilities is not None:
            for col in ("name", "wheelchair", "entrances", "tags"):
                facilities[col] = facilities[col].fillna("")
        return cls(G, barriers, layers["area"], {k: meta[k] for k in ("name", "sources", "build")}, problems,
                   facilities)

    def save(self, path: str | Path) -> Path:
        """Write the workspace folder (atomically: all of it or nothing)."""
        return workspace.save(path, self.meta, self.network, self.barriers, self.area, self.problems,
                              extra_layers={"facilities": self.facilities})

    # --- routing (see accessibility.routing) ---------------------------------------------

    def profile(self, name: str = "walk", profile_file: str | Path | None = None, **overrides: Any) -> Profile:
        """A mobility profile by name, with threshold overrides (``max_kerb_cm=3`` ...)."""
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

    def _router_state(self):
        from .routing import Routing

        if self._routing is None or self._routing.G is not self.network:
            self._routing = Routing(self.network)
        return self._routing

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
