"""Read OpenStreetMap data from files into one plain in-memory form, :class:`OsmData`.

Formats: OSM XML (``.osm``, also bz2/gz/xz compressed), PBF (via pyosmium), and Overpass
responses in XML or JSON, including ``out geom`` dumps whose ways carry inline
coordinates and no node elements. The format is sniffed from the bytes, not trusted
from the file name. Every reader ends in the same :class:`OsmData`, so a file and a
download build the same network.

Relations are counted; those tagged ``type=multipolygon`` (a park, a lake, a building
with a courtyard) are kept with their way members, for the base map
(:mod:`accessibility.model.basemap`). A member way that the file gives only inline
(Overpass ``out geom`` on a relation) keeps its coordinates on the member.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import logging
import lzma
import math
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from accessibility.errors import InputNotFoundError, OsmFileError
from accessibility.i18n import _

log = logging.getLogger(__name__)


@dataclass(slots=True)
class OsmNode:
    """A node: WGS84 coordinates (``None`` when the file only references it) and tags."""

    lon: float | None
    lat: float | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class OsmWay:
    """A way: ordered node ids, tags, and an Overpass ``center`` if one was given."""

    refs: list[int]
    tags: dict[str, str] = field(default_factory=dict)
    center: tuple[float, float] | None = None


@dataclass(slots=True)
class OsmMember:
    """A way member of a multipolygon relation: its id, its role (``outer``/``inner``) and,
    when the file gave the way only inline, its ``(lon, lat)`` coordinates."""

    ref: int
    role: str
    coords: list[tuple[float, float]] | None = None


@dataclass(slots=True)
class OsmRelation:
    """A multipolygon relation: its way members and tags."""

    members: list[OsmMember]
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class OsmData:
    """Nodes and ways by id, from one or several sources; relations are counted, and the
    multipolygon ones kept (``multipolygons``) for the base map.

    ``out_of_range`` keeps the nodes whose coordinates lie outside latitude +-90 and
    longitude +-180, by id: they are stored without coordinates (as a node outside the
    extract), so nothing downstream ever places a point at infinity, and the build lists
    them.
    """

    nodes: dict[int, OsmNode] = field(default_factory=dict)
    ways: dict[int, OsmWay] = field(default_factory=dict)
    relations: int = 0
    sources: list[str] = field(default_factory=list)
    multipolygons: dict[int, OsmRelation] = field(default_factory=dict)
    out_of_range: dict[int, tuple[float, float]] = field(default_factory=dict)

    def add_multipolygon(self, rid: int, relation: OsmRelation) -> None:
        """Add a multipolygon relation; one seen before keeps the longer member list."""
        old = self.multipolygons.get(rid)
        if old is None:
            self.multipolygons[rid] = relation
            return
        if len(relation.members) > len(old.members):
            old.members = relation.members
        old.tags.update(relation.tags)

    def add_node(self, nid: int, lon: float | None, lat: float | None, tags: dict[str, str]) -> None:
        """Add or complete a node: coordinates fill a gap, tags are merged (newer wins).
        Coordinates outside the globe are kept aside in ``out_of_range``, not used."""
        if lon is not None and lat is not None and not _on_globe(lon, lat):
            self.out_of_range[nid] = (lon, lat)
            lon = lat = None
        elif lon is None or lat is None:
            lon = lat = None
        node = self.nodes.get(nid)
        if node is None:
            self.nodes[nid] = OsmNode(lon, lat, tags)
            return
        if node.lon is None and lon is not None:
            node.lon, node.lat = lon, lat
        if tags:
            node.tags.update(tags)

    def add_way(self, wid: int, way: OsmWay) -> None:
        """Add a way; a way seen before keeps the longer node list and merges tags. A
        ``center`` outside the globe is dropped (the way is then placed by its nodes)."""
        if way.center is not None and not _on_globe(*way.center):
            way.center = None
        old = self.ways.get(wid)
        if old is None:
            self.ways[wid] = way
            return
        if len(way.refs) > len(old.refs):
            old.refs = way.refs
        old.tags.update(way.tags)
        old.center = old.center or way.center

    def merge(self, other: OsmData) -> OsmData:
        """Merge ``other`` into this one, joining on OSM ids; returns ``self``."""
        for nid, node in other.nodes.items():
            self.add_node(nid, node.lon, node.lat, dict(node.tags))
        for wid, way in other.ways.items():
            self.add_way(wid, OsmWay(list(way.refs), dict(way.tags), way.center))
        for rid, rel in other.multipolygons.items():
            self.add_multipolygon(rid, OsmRelation(list(rel.members), dict(rel.tags)))
        self.relations += other.relations
        self.sources.extend(other.sources)
        for nid, lonlat in other.out_of_range.items():
            if self.nodes[nid].lon is None:
                self.out_of_range[nid] = lonlat
        return self

    def summary(self) -> str:
        located = sum(1 for n in self.nodes.values() if n.lon is not None)
        return (
            f"{len(self.nodes):,} nodes ({located:,} with coordinates), "
            f"{len(self.ways):,} ways, {self.relations:,} relations"
        )


def _on_globe(lon: float | None, lat: float | None) -> bool:
    return lon is not None and lat is not None and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


# --- opening and sniffing ---------------------------------------------------------------

_COMPRESSIONS = ((b"\x1f\x8b", gzip.open), (b"BZh", bz2.open), (b"\xfd7zXZ\x00", lzma.open))


def _open_decompressed(path: Path) -> IO[bytes]:
    with open(path, "rb") as fh:
        magic = fh.read(6)
    for prefix, opener in _COMPRESSIONS:
        if magic.startswith(prefix):
            return opener(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _sniff(stream: IO[bytes]) -> str:
    """Return ``xml``, ``json`` or ``pbf`` from the first bytes of a decompressed stream."""
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text.startswith((b"{", b"[")):
        return "json"
    return "pbf"


def read_osm(path: str | Path) -> OsmData:
    """Read one OpenStreetMap file of any supported format.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    OsmFileError
        The file is not OSM data, or is damaged; the message names the file and where.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(_("OSM file not found: {path}").format(path=path))
    try:
        with _open_decompressed(path) as raw:
            stream: Any = raw if hasattr(raw, "peek") else io.BufferedReader(cast(Any, raw))
            kind = _sniff(stream)
            if kind == "xml":
                data = _read_xml(stream, path)
            elif kind == "json":
                data = _read_overpass_json(stream, path)
            else:
                data = _read_pbf(path)
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise OsmFileError(_("{path}: cannot be read ({reason})").format(path=path, reason=exc)) from exc
    data.sources.append(str(path))
    log.info("read %s: %s", path, data.summary())
    return data


def read_osm_files(paths: Iterable[str | Path]) -> OsmData:
    """Read several files and merge them into one :class:`OsmData`, joined on ids."""
    merged = OsmData()
    paths = list(paths)
    if not paths:
        raise OsmFileError(_("no OSM file given"))
    for path in paths:
        merged.merge(read_osm(path))
    return merged


# --- XML (OSM and Overpass) -------------------------------------------------------------


def _read_xml(stream: IO[bytes], path: Path) -> OsmData:
    data = OsmData()
    saw_root = False
    try:
        for event, elem in ET.iterparse(stream, events=("start", "end")):
            if event == "start":
                if not saw_root:
                    if elem.tag != "osm":
                        raise OsmFileError(
                            _("{path}: XML root is <{tag}>, not <osm>").format(path=path, tag=str(elem.tag)[:80])
                        )
                    saw_root = True
                continue
            tag = elem.tag
            if tag == "node":
                _xml_node(data, elem, path)
                elem.clear()
            elif tag == "way":
                _xml_way(data, elem, path)
                elem.clear()
            elif tag == "relation":
                data.relations += 1
                _xml_relation(data, elem, path)
                elem.clear()
    except ET.ParseError as exc:
        raise OsmFileError(_("{path}: malformed XML ({reason})").format(path=path, reason=exc)) from exc
    return data


def _tags(elem: ET.Element) -> dict[str, str]:
    return {t.get("k", ""): t.get("v", "") for t in elem.iter("tag")}


def _int_attr(elem: ET.Element, name: str, path: Path) -> int:
    try:
        return int(elem.get(name, ""))
    except ValueError:
        raise OsmFileError(
            _("{path}: <{tag}> with bad {name}={value}").format(
                path=path, tag=elem.tag, name=name, value=repr(elem.get(name))[:80]
            )
        ) from None


def _float_attr(elem: ET.Element, name: str, path: Path) -> float | None:
    value = elem.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):  # "nan", "inf" and "1e999" are read by float() but are no coordinate
        raise OsmFileError(
            _("{path}: <{tag} id={id}> with bad {name}={value}: not a finite number").format(
                path=path, tag=elem.tag, id=elem.get("id") or elem.get("ref"), name=name, value=repr(value)[:80]
            )
        )
    return number


def _xml_node(data: OsmData, elem: ET.Element, path: Path) -> None:
    nid = _int_attr(elem, "id", path)
    data.add_node(nid, _float_attr(elem, "lon", path), _float_attr(elem, "lat", path), _tags(elem))


def _xml_way(data: OsmData, elem: ET.Element, path: Path) -> None:
    wid = _int_attr(elem, "id", path)
    refs: list[int] = []
    for nd in elem.iter("nd"):
        ref = _int_attr(nd, "ref", path)
        refs.append(ref)
        lon = _float_attr(nd, "lon", path)
        if lon is not None:  # Overpass "out geom": inline coordinates, no node element
            data.add_node(ref, lon, _float_attr(nd, "lat", path), {})
    center = None
    c = elem.find("center")
    if c is not None:
        center = (_float_attr(c, "lon", path), _float_attr(c, "lat", path))
    data.add_way(wid, OsmWay(refs, _tags(elem), center))  # type: ignore[arg-type]


def _xml_relation(data: OsmData, elem: ET.Element, path: Path) -> None:
    tags = {t.get("k", ""): t.get("v", "") for t in elem.findall("tag")}
    if tags.get("type") != "multipolygon":
        return
    members = []
    for m in elem.iter("member"):
        if m.get("type") != "way":
            continue
        coords = [(_float_attr(nd, "lon", path), _float_attr(nd, "lat", path)) for nd in m.iter("nd")]
        inline = [(lon, lat) for lon, lat in coords if lon is not None and lat is not None]
        members.append(OsmMember(_int_attr(m, "ref", path), m.get("role", ""), inline or None))
    data.add_multipolygon(_int_attr(elem, "id", path), OsmRelation(members, tags))


# --- Overpass JSON ----------------------------------------------------------------------


def _read_overpass_json(stream: IO[bytes], path: Path) -> OsmData:
    try:
        doc = json.load(stream)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise OsmFileError(_("{path}: malformed JSON ({reason})").format(path=path, reason=exc)) from exc
    return overpass_json_to_osm(doc, str(path))


def overpass_json_to_osm(doc: Any, where: str) -> OsmData:
    """Turn an Overpass JSON document (``out body``, ``out geom`` or ``out center``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("elements"), list):
        raise OsmFileError(_("{path}: JSON without an 'elements' list is not an Overpass response").format(path=where))
    data = OsmData()
    for i, el in enumerate(doc["elements"]):
        try:
            kind, eid = el["type"], int(el["id"])
            tags = {str(k): str(v) for k, v in (el.get("tags") or {}).items()}
            if kind == "node":
                data.add_node(eid, _opt_float(el.get("lon")), _opt_float(el.get("lat")), tags)
            elif kind == "way":
                refs = [int(r) for r in el.get("nodes", [])]
                for ref, point in zip(refs, el.get("geometry") or []):
                    if point:  # null where the node lies outside a clipped bbox
                        data.add_node(ref, _opt_float(point["lon"]), _opt_float(point["lat"]), {})
                c = el.get("center")
                clon, clat = (_opt_float(c["lon"]), _opt_float(c["lat"])) if c else (None, None)
                center = (clon, clat) if clon is not None and clat is not None else None
                data.add_way(eid, OsmWay(refs, tags, center))
            elif kind == "relation":
                data.relations += 1
                if tags.get("type") == "multipolygon":
                    members = [
                        OsmMember(
                            int(m["ref"]),
                            str(m.get("role") or ""),
                            [(float(p["lon"]), float(p["lat"])) for p in m.get("geometry") or [] if p] or None,
                        )
                        for m in el.get("members") or []
                        if m.get("type") == "way"
                    ]
                    data.add_multipolygon(eid, OsmRelation(members, tags))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise OsmFileError(
                _("{path}: element #{number} is malformed ({reason}): {element}").format(
                    path=where, number=i, reason=repr(exc)[:120], element=str(el)[:120]
                )
            ) from exc
    return data


def _opt_float(value: Any) -> float | None:
    """A coordinate of a JSON element (``None`` when absent); ``ValueError`` unless finite."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a coordinate")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


# --- PBF --------------------------------------------------------------------------------


def _read_pbf(path: Path) -> OsmData:
    import osmium  # only PBF needs the C++ reader

    data = OsmData()
    try:
        obj: Any  # Node, Way or Relation (osmium's union type has no common methods)
        for obj in osmium.FileProcessor(str(path)):
            if obj.is_node():
                loc = obj.location
                lon, lat = (loc.lon, loc.lat) if loc.valid() else (None, None)
                data.add_node(obj.id, lon, lat, {t.k: t.v for t in obj.tags})
            elif obj.is_way():
                data.add_way(obj.id, OsmWay([n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags}))
            elif obj.is_relation():
                data.relations += 1
                tags = {t.k: t.v for t in obj.tags}
                if tags.get("type") == "multipolygon":
                    members = [OsmMember(m.ref, m.role) for m in obj.members if m.type == "w"]
                    data.add_multipolygon(obj.id, OsmRelation(members, tags))
    except RuntimeError as exc:
        raise OsmFileError(
            _("{path}: not OSM XML, JSON or PBF, or a damaged file ({reason})").format(path=path, reason=exc)
        ) from exc
    return data
