"""Forward place search: what people type ("v. Dante 12", "p.zza del Comune", "farmacia")
to a point on the map (pure).

:func:`find_places` collects, at build time, the named places of OpenStreetMap data that
the network does not hold: addresses (``addr:street`` + ``addr:housenumber``), squares and
other ``place=*`` features, named pedestrian areas, and named points of interest. A
workspace keeps them in its ``places`` layer.

:class:`Gazetteer` searches them together with the street names of the network (a street
is placed at the middle of each stretch of it: two streets of one name far apart are two
results) and the facilities, by name and by category. Matching forgives what people do:
letters without accents (``liberta`` finds ``Libertà``), typing errors (edit distance,
scored with RapidFuzz), Italian abbreviations (``v.``, ``p.zza``, ``c.so``, ``v.le`` ...),
any word order, and a house number anywhere in the text. A query naming a destination
("farmacia", "pool") also offers "the nearest ..." of it.

>>> normalise("P.zza S. Agata, 3")
'piazza san agata 3'
>>> normalise("V.le Po") == normalise("viale po")
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely import Point

from accessibility.constants import WGS84
from accessibility.i18n import LANGUAGES, N_, _, use_language
from accessibility.model.facilities import categories, destinations
from accessibility.sources.osm import OsmData

__all__ = ["PLACE_COLUMNS", "Gazetteer", "Place", "find_places", "normalise", "split_number"]

#: Columns of the ``places`` layer (besides ``geometry``).
PLACE_COLUMNS = ["kind", "name", "street", "housenumber", "what", "osm_type", "osm_id"]

#: Kinds of result, as people read them.
KIND_LABELS = {
    "street": N_("Street"),
    "address": N_("Address"),
    "square": N_("Square"),
    "place": N_("Place"),
    "poi": N_("Place of interest"),
    "facility": N_("Facility"),
    "nearest": N_("Nearest"),
}
#: Order of kinds when scores tie: streets and squares before single buildings.
_KIND_RANK = {"nearest": 0, "address": 1, "street": 2, "square": 3, "place": 4, "facility": 5, "poi": 6}

#: Italian abbreviations of street names and titles, as written on signs and letters.
ABBREVIATIONS = {
    "v": "via",
    "vl": "viale",
    "v.le": "viale",
    "p.za": "piazza",
    "p.zza": "piazza",
    "pza": "piazza",
    "pzza": "piazza",
    "p.zzale": "piazzale",
    "p.le": "piazzale",
    "c.so": "corso",
    "cso": "corso",
    "l.go": "largo",
    "lgo": "largo",
    "vic": "vicolo",
    "v.lo": "vicolo",
    "str": "strada",
    "s.da": "strada",
    "b.go": "borgo",
    "c.da": "contrada",
    "lungo": "lungo",
    "s": "san",
    "s.s": "santi",
    "ss": "santi",
    "f.lli": "fratelli",
    "sta": "santa",
    "s.ta": "santa",
    "g": "giuseppe",
    "gen": "generale",
    "dott": "dottor",
    "prof": "professor",
    "mons": "monsignor",
}
_PLACE_KINDS = {"square", "neighbourhood", "quarter", "suburb", "locality", "hamlet", "village", "isolated_dwelling"}
_POI_KEYS = ("amenity", "tourism", "historic", "leisure", "shop", "office", "building", "railway", "public_transport")
_NUMBER = re.compile(r"^\d+[a-z]?(?:[/-]\w+)?$")


def normalise(text: str) -> str:
    """Lower case, accents off, Italian abbreviations written out, punctuation as spaces."""
    text = unicodedata.normalize("NFKD", str(text).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", " ").replace("’", " ").replace(",", " ")
    words = []
    for word in re.split(r"\s+", text):
        # "v.dante" and "p.zza" written without a space after the dot
        for part in re.findall(r"[a-z]+(?:\.[a-z]+)*\.?|\d+[a-z]?(?:[/-]\w+)?|[^\W\d_]+", word):
            key = part.rstrip(".")
            if key in ABBREVIATIONS:
                words.append(ABBREVIATIONS[key])
            else:  # "v.dante": an abbreviation glued to the name
                words.extend(ABBREVIATIONS.get(p, p) if "." in key else p for p in key.split("."))
    return " ".join(w for w in words if w).strip()


def split_number(text: str) -> tuple[str, str | None]:
    """A normalised query and its house number, if it has one (anywhere in the text).

    >>> split_number("via roma 12b")
    ('via roma', '12b')
    >>> split_number("12 via roma")
    ('via roma', '12')
    >>> split_number("via xx settembre")
    ('via xx settembre', None)
    """
    words = text.split()
    for i in (len(words) - 1, 0):
        if len(words) > 1 and 0 <= i < len(words) and _NUMBER.match(words[i]):
            return " ".join(words[:i] + words[i + 1 :]), words[i]
    return text, None


# --- collecting places at build time ----------------------------------------------------


def find_places(osm: OsmData, crs: str) -> gpd.GeoDataFrame:
    """Addresses, squares and places, named pedestrian areas and points of interest of
    ``osm``, as points in ``crs`` (columns :data:`PLACE_COLUMNS`).

    A way is placed at its Overpass ``center``, else at the mean of its located nodes.
    """
    rows: list[dict[str, Any]] = []

    def add(tags: dict[str, str], osm_type: str, osm_id: int, point: Point) -> None:
        name = tags.get("name", "").strip()
        street = (tags.get("addr:street") or tags.get("addr:place") or "").strip()
        number = tags.get("addr:housenumber", "").strip()
        base = {"osm_type": osm_type, "osm_id": osm_id, "geometry": point}
        if street and number:
            rows.append({**base, "kind": "address", "name": name, "street": street, "housenumber": number, "what": ""})
        if not name:
            return
        place = tags.get("place", "")
        if place == "square" or (tags.get("highway") == "pedestrian" and tags.get("area") == "yes"):
            rows.append({**base, "kind": "square", "name": name, "street": "", "housenumber": "", "what": "square"})
        elif place in _PLACE_KINDS:
            rows.append({**base, "kind": "place", "name": name, "street": "", "housenumber": "", "what": place})
        else:
            key = next((k for k in _POI_KEYS if k in tags and tags[k] not in {"yes", "no"}), None)
            if key is not None:
                what = f"{key}={tags[key]}"
                rows.append({**base, "kind": "poi", "name": name, "street": "", "housenumber": "", "what": what})

    for nid, node in osm.nodes.items():
        if node.tags and node.lon is not None and ("name" in node.tags or "addr:housenumber" in node.tags):
            add(node.tags, "node", nid, Point(node.lon, node.lat))
    for wid, way in osm.ways.items():
        if not way.tags or not ("name" in way.tags or "addr:housenumber" in way.tags):
            continue
        if "highway" in way.tags and way.tags.get("area") != "yes":
            continue  # a street: the network has it
        if way.center is not None and way.center[0] is not None:
            point = Point(way.center)
        else:
            located = [osm.nodes[r] for r in way.refs if r in osm.nodes and osm.nodes[r].lon is not None]
            if not located:
                continue
            point = Point(
                sum(n.lon for n in located) / len(located),  # type: ignore[misc]
                sum(n.lat for n in located) / len(located),  # type: ignore[misc]
            )
        add(way.tags, "way", wid, point)
    frame = gpd.GeoDataFrame(rows, columns=[*PLACE_COLUMNS, "geometry"], geometry="geometry", crs=WGS84)
    return frame.astype({"osm_id": "int64"}).to_crs(crs)


def _same(a: Place, b: Place, within_m: float = 300.0) -> bool:
    """Whether two entries are one answer: the same name (and destination) close together."""
    if a.label != b.label or a.extra.get("destination") != b.extra.get("destination"):
        return False
    if a.lat is None or b.lat is None or a.lon is None or b.lon is None:
        return a.kind == b.kind
    dy = (a.lat - b.lat) * 111_320.0
    dx = (a.lon - b.lon) * 111_320.0 * np.cos(np.radians(a.lat))
    return bool(dx * dx + dy * dy <= within_m * within_m)


def empty_places(crs: str) -> gpd.GeoDataFrame:
    """A ``places`` layer with no rows (a workspace built before places were kept)."""
    return gpd.GeoDataFrame(columns=[*PLACE_COLUMNS, "geometry"], geometry="geometry", crs=crs)


# --- searching -----------------------------------------------------------------------------


@dataclass
class Place:
    """One searchable entry: what people read (``label``, ``kind``, ``detail`` message)
    and where it is (WGS84), or the destination it stands for (kind ``nearest``)."""

    kind: str
    label: str
    key: str  # the normalised text matched against
    lat: float | None = None
    lon: float | None = None
    detail: str = ""  # an English catalogue message (translated when shown) or a name
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, score: float) -> dict[str, Any]:
        """The entry as an API answer, texts in the language in use."""
        detail = _(self.detail) if self.detail else ""
        out: dict[str, Any] = {
            "kind": self.kind,
            "kind_label": _(KIND_LABELS[self.kind]),
            "label": _(self.label) if self.kind == "nearest" else self.label,
            "detail": detail,
            "score": round(float(score), 1),
        }
        if self.lat is not None and self.lon is not None:
            out["lat"], out["lon"] = round(self.lat, 7), round(self.lon, 7)
        out.update(self.extra)
        return out


class Gazetteer:
    """Place search over a city's streets (from its network), places and facilities.

    Parameters
    ----------
    network
        The city graph (``name`` on edges, ``lat``/``lon`` on nodes).
    facilities
        The facilities table (graph CRS).
    places
        The ``places`` layer of :func:`find_places` (graph CRS), possibly empty.
    street_gap_m
        Stretches of one street name farther apart than this are separate results.
    """

    def __init__(
        self,
        network: nx.MultiDiGraph,
        facilities: gpd.GeoDataFrame,
        places: gpd.GeoDataFrame | None,
        street_gap_m: float = 400.0,
    ) -> None:
        self.entries: list[Place] = []
        self._streets(network, street_gap_m)
        if places is not None and len(places):
            self._places(places.to_crs(WGS84))
        if len(facilities):
            self._facilities(facilities.to_crs(WGS84))
        self._destinations()
        self.keys = [e.key for e in self.entries]
        self.addresses: dict[str, dict[str, Place]] = {}
        self.address_streets: list[str] = []
        self._address_index(places.to_crs(WGS84) if places is not None and len(places) else None)

    # --- building the index ---------------------------------------------------------

    def _streets(self, G: nx.MultiDiGraph, gap: float) -> None:
        by_name: dict[str, list[tuple[int, int]]] = {}
        for u, v, d in G.edges(data=True):
            name = d.get("name")
            if isinstance(name, str) and name and not d.get("reversed"):
                by_name.setdefault(name, []).append((u, v))
        for name, pairs in by_name.items():
            nodes = list(dict.fromkeys(n for pair in pairs for n in pair))
            xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
            # stretches: nodes of this name joined by its edges or lying within `gap`
            position = {n: i for i, n in enumerate(nodes)}
            links = [(position[u], position[v]) for u, v in pairs]
            links += list(cKDTree(xy).query_pairs(gap)) if len(nodes) > 1 else []
            a = np.array([p[0] for p in links] or [0])
            b = np.array([p[1] for p in links] or [0])
            graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(nodes), len(nodes)))
            _, label = connected_components(graph, directed=False)
            for part in np.unique(label):
                members = np.flatnonzero(label == part)
                centre = xy[members].mean(axis=0)
                middle = nodes[int(members[np.argmin(np.hypot(*(xy[members] - centre).T))])]
                data = G.nodes[middle]
                self.entries.append(
                    Place(
                        "street", name, normalise(name), float(data["lat"]), float(data["lon"]), KIND_LABELS["street"]
                    )
                )

    def _places(self, places: gpd.GeoDataFrame) -> None:
        named = places[places["kind"] != "address"]
        for kind, name, what, point in zip(named["kind"], named["name"], named["what"], named.geometry):
            if not isinstance(name, str) or not name:
                continue
            self.entries.append(
                Place(
                    kind,
                    name,
                    normalise(name),
                    float(point.y),
                    float(point.x),
                    KIND_LABELS[kind] if kind != "poi" else str(what).split("=", 1)[-1].replace("_", " "),
                )
            )

    def _facilities(self, facilities: gpd.GeoDataFrame) -> None:
        cats = categories()
        for cat, name, point, osm_type, osm_id in zip(
            facilities["category"],
            facilities["name"],
            facilities.geometry,
            facilities["osm_type"],
            facilities["osm_id"],
        ):
            if not isinstance(name, str) or not name or cat not in cats:
                continue
            self.entries.append(
                Place(
                    "facility",
                    name,
                    normalise(name),
                    float(point.y),
                    float(point.x),
                    cats[cat].label,
                    {"category": cat, "osm": f"{osm_type}/{osm_id}"},
                )
            )

    def _destinations(self) -> None:
        for dest in destinations().values():
            for lang in LANGUAGES:  # "farmacia" and "pharmacy" both offer the nearest one
                with use_language(lang):
                    text = _(dest.label)
                self.entries.append(
                    Place(
                        "nearest", dest.label, normalise(text), detail=N_("Nearest"), extra={"destination": dest.name}
                    )
                )

    def _address_index(self, places: gpd.GeoDataFrame | None) -> None:
        if places is None:
            return
        rows = places[places["kind"] == "address"]
        for street, number, point in zip(rows["street"], rows["housenumber"], rows.geometry):
            key = normalise(street)
            label = f"{street} {number}"
            self.addresses.setdefault(key, {})[normalise(str(number))] = Place(
                "address", label, normalise(label), float(point.y), float(point.x), KIND_LABELS["address"]
            )
        self.address_streets = list(self.addresses)

    # --- searching ------------------------------------------------------------------

    def search(self, query: str, limit: int = 8) -> list[dict[str, Any]]:
        """The best matches for ``query``, best first, as dicts (``kind``, ``label``,
        ``detail``, ``lat``/``lon``, or ``destination`` for "the nearest ..."), texts in
        the language in use. Empty for an empty query."""
        text = normalise(query)
        if not text:
            return []
        limit = max(1, min(int(limit), 50))
        found: list[tuple[float, int, str, Place]] = []
        rest, number = split_number(text)
        if number is not None and self.address_streets:
            for street, score, _i in process.extract(
                rest, self.address_streets, scorer=fuzz.WRatio, limit=3, score_cutoff=75
            ):
                place = self.addresses[street].get(number)
                if place is not None:
                    found.append((score + 30, _KIND_RANK["address"], place.label, place))
        for place, score in self._match(text if number is None else rest, limit * 3):
            found.append((score, _KIND_RANK[place.kind], place.label, place))
        found.sort(key=lambda t: (-t[0], t[1], t[2]))
        out: list[dict[str, Any]] = []
        kept: list[Place] = []
        for score, _rank, _label, place in found:
            if any(_same(place, other) for other in kept):
                continue  # one name in one neighbourhood is one answer (the bus stops of a street)
            kept.append(place)
            out.append(place.as_dict(min(score, 100.0)))
            if len(out) >= limit:
                break
        return out

    def _match(self, text: str, limit: int) -> list[tuple[Place, float]]:
        """Entries scored against ``text``: edit-distance similarity (any word order,
        parts of names) with a bonus for a name that starts with what was typed."""
        hits = process.extract(text, self.keys, scorer=fuzz.WRatio, limit=limit, score_cutoff=70)
        out = []
        for key, score, i in hits:
            if key == text:
                bonus = 20.0
            elif key.startswith(text):
                bonus = 10.0
            elif (" " + text) in (" " + key):
                bonus = 5.0
            else:
                bonus = 0.0
            if len(text) <= 3 and not bonus:
                continue  # two letters that only look like part of a name: noise
            # of names that match as well, the one closest in length to what was typed
            out.append((self.entries[i], float(score) + bonus - 0.05 * min(abs(len(key) - len(text)), 40)))
        return out


def places_frame(places: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame:
    """The ``places`` layer as read from a workspace, or an empty one."""
    if places is None:
        return empty_places(crs)
    for col in ("name", "street", "housenumber", "what"):
        if col in places:
            places[col] = places[col].fillna("").astype(str)
    return places
