"""Where residents live on the network, and how old they are (pure).

Without finer data, residents are spread uniformly over the length of residential
streets (for a network mapped as sidewalks only, over sidewalk length); each edge's share
goes half to each end node. Census sections (polygons with a population) or buildings
(points, optionally weighted) replace the uniform spread where given. The age structure
comes from the ISTAT table: it weights the figures for people over 65 and over 80.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessibility import settings
from accessibility.errors import PopulationError
from accessibility.i18n import _
from accessibility.model.snapping import network_index


@dataclass(frozen=True)
class AgeStructure:
    """Residents in all, and the shares aged 65+ and 80+."""

    total: int
    over65: int
    over80: int

    @property
    def share65(self) -> float:
        return self.over65 / self.total if self.total else 0.0

    @property
    def share80(self) -> float:
        return self.over80 / self.total if self.total else 0.0


def age_structure(table: pd.DataFrame) -> AgeStructure:
    """From an ISTAT ``age, tot`` table (see :mod:`accessibility.sources.istat`).

    >>> age_structure(pd.DataFrame({"age": [10, 70, 85], "tot": [5, 3, 2]}))
    AgeStructure(total=10, over65=5, over80=2)
    """
    return AgeStructure(
        int(table["tot"].sum()),
        int(table.loc[table["age"] >= 65, "tot"].sum()),
        int(table.loc[table["age"] >= 80, "tot"].sum()),
    )


def _forward_edges(G: nx.MultiDiGraph):
    return [(u, v, d) for u, v, d in G.edges(data=True) if not d.get("reversed")]


def _residential(d: dict) -> bool:
    return d.get("highway") in settings.residential_highways or d.get("footway") == "sidewalk"


def residents_on_network(
    G: nx.MultiDiGraph,
    total: float,
    sections: gpd.GeoDataFrame | None = None,
    buildings: gpd.GeoDataFrame | None = None,
) -> pd.Series:
    """Residents per graph node (a Series indexed by node id, summing to the people placed).

    Parameters
    ----------
    total
        Residents to spread uniformly (ignored when ``sections`` or ``buildings`` is given).
    sections
        Polygons with a ``population`` column: each spreads its own people over the
        residential length inside it.
    buildings
        Points or polygons, with an optional ``residents`` column (else equal weights
        summing to ``total``): each goes to its nearest node.
    """
    nodes = list(G.nodes)
    people = pd.Series(0.0, index=nodes)
    if buildings is not None:
        return _from_buildings(G, people, total, buildings)
    edges = _forward_edges(G)
    chosen = [e for e in edges if _residential(e[2])] or edges
    if sections is not None:
        return _from_sections(G, people, chosen, sections)
    length = sum(d["length"] for _u, _v, d in chosen)
    for u, v, d in chosen:
        share = total * d["length"] / length / 2
        people[u] += share
        people[v] += share
    return people


def _from_sections(G, people, edges, sections: gpd.GeoDataFrame) -> pd.Series:
    if "population" not in sections.columns:
        raise PopulationError(_("census sections need a 'population' column"))
    sections = sections.to_crs(G.graph["crs"]).reset_index(drop=True)
    mids = gpd.GeoDataFrame(
        {"i": range(len(edges))},
        geometry=[d["geometry"].interpolate(0.5, normalized=True) for _u, _v, d in edges],
        crs=G.graph["crs"],
    )
    joined = gpd.sjoin(mids, sections[["population", "geometry"]], predicate="within")
    lengths = np.array([edges[i][2]["length"] for i in joined["i"]])
    per_section = pd.Series(lengths).groupby(joined["index_right"].to_numpy()).transform("sum").to_numpy()
    for (i, pop), length, total in zip(joined[["i", "population"]].itertuples(index=False), lengths, per_section):
        u, v, _key = edges[i]
        share = float(pop) * length / total / 2
        people[u] += share
        people[v] += share
    return people


def _from_buildings(G, people, total: float, buildings: gpd.GeoDataFrame) -> pd.Series:
    points = buildings.to_crs(G.graph["crs"]).geometry.representative_point()
    weights = (
        buildings["residents"].astype(float).to_numpy()
        if "residents" in buildings
        else np.full(len(buildings), total / max(len(buildings), 1))
    )
    index = network_index(G)
    _dist, nearest = index.nearest_nodes(np.column_stack([points.x, points.y]))
    nearest = people.index.get_indexer([index.nodes[i] for i in nearest])
    placed = np.zeros(len(people))
    np.add.at(placed, nearest, weights)  # several buildings may share a node
    return people + placed


def node_points(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Graph nodes as points in the graph CRS, indexed by node id."""
    nodes, xs, ys = zip(*((n, d["x"], d["y"]) for n, d in G.nodes(data=True))) if len(G) else ((), (), ())
    return gpd.GeoDataFrame(
        index=pd.Index(list(nodes), name="node"), geometry=gpd.points_from_xy(xs, ys), crs=G.graph["crs"]
    )
