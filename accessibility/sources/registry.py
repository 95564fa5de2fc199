"""Read municipal facility registries (CSV, GeoPackage, GeoJSON) as facilities.

A registry is any table of places with coordinates: the Regione Lombardia lists of
schools, pharmacies and hospitals, a municipal list of sports grounds. A small TOML
mapping file says which columns hold what (``data/registries/*.toml`` are examples)::

    category = "pharmacy"                 # a category of data/facilities.toml
    source = "Regione Lombardia - Elenco farmacie"
    name = ["DESCRIZIONE_FARMACIA"]       # joined with spaces
    id = "CODICE_FARMACIA"                # optional
    address = ["INDIRIZZO", "COMUNE"]     # optional
    wheelchair = "ACCESSIBILE"            # optional: yes / limited / no (also si / sì)
    [coordinates]
    lat = "LATITUDINE"                    # or x = "X", y = "Y", crs = 3003
    lon = "LONGITUDINE"
    region = [8.4, 44.6, 11.5, 46.7]      # optional lon/lat bounds the places lie in

Numbers may use a decimal comma. A row whose point lies outside ``region`` (or the
city's area, when given) as written but inside it with the two coordinates exchanged is
read exchanged and reported: some published files swap their X and Y columns. A
GeoPackage or GeoJSON without coordinate columns gives its own geometry; a polygon keeps
its outline, so routes arrive at its edge. Reading only: the rows become a table with the
columns of the OSM facilities (``source`` says where each came from).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely import Point, box
from shapely.geometry.base import BaseGeometry

from accessibility.constants import FACILITY_COLUMNS as COLUMNS
from accessibility.constants import WGS84
from accessibility.coordinates import locate
from accessibility.errors import InputNotFoundError, RegistryError
from accessibility.sources.catalogues import read_toml, shipped_toml
from accessibility.sources.surveys import read_csv_records
from accessibility.values import parse_number

log = logging.getLogger(__name__)

_WHEELCHAIR = {
    "yes": "yes",
    "si": "yes",
    "sì": "yes",
    "true": "yes",
    "1": "yes",
    "limited": "limited",
    "parziale": "limited",
    "no": "no",
    "false": "no",
    "0": "no",
}


@dataclass(frozen=True)
class RegistryMapping:
    """What the columns of one registry mean (from its TOML mapping file)."""

    category: str
    source: str
    name: tuple[str, ...]
    id: str | None = None
    address: tuple[str, ...] = ()
    wheelchair: str | None = None
    lat: str | None = None
    lon: str | None = None
    x: str | None = None
    y: str | None = None
    crs: int | None = None
    region: tuple[float, float, float, float] | None = None

    @property
    def columns(self) -> list[str]:
        """Every column the mapping names (all must exist in the file)."""
        named = [*self.name, self.id, *self.address, self.wheelchair, self.lat, self.lon, self.x, self.y]
        return [c for c in named if c]


def read_mapping(path: str | Path) -> RegistryMapping:
    """Read and check a registry mapping file; errors name the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"registry mapping file not found: {path}")
    raw = read_toml(path, RegistryError)
    if "category" not in raw:
        raise RegistryError(f"{path.name}: say which facility category the registry lists (category = ...)")
    known = shipped_toml("facilities.toml")
    if raw["category"] not in known:
        raise RegistryError(
            f"{path.name}: unknown facility category {raw['category']!r}; choose one of: {', '.join(known)}"
        )
    coords = raw.get("coordinates", {})
    geographic = "lat" in coords or "lon" in coords
    projected = "x" in coords or "y" in coords
    if geographic and projected:
        raise RegistryError(f"{path.name}: [coordinates] gives both lat/lon and x/y; keep one pair")
    if geographic and not ("lat" in coords and "lon" in coords):
        raise RegistryError(f"{path.name}: [coordinates] needs both lat and lon")
    if projected and not ("x" in coords and "y" in coords and "crs" in coords):
        raise RegistryError(f"{path.name}: [coordinates] x/y need x, y and crs (an EPSG code, e.g. 3003)")
    region = coords.get("region")
    if region is not None and (len(region) != 4 or region[0] >= region[2] or region[1] >= region[3]):
        raise RegistryError(f"{path.name}: region must be [lon_min, lat_min, lon_max, lat_max]")
    name = raw.get("name", [])
    return RegistryMapping(
        category=raw["category"],
        source=str(raw.get("source", path.stem)),
        name=tuple([name] if isinstance(name, str) else name),
        id=raw.get("id"),
        address=tuple([raw["address"]] if isinstance(raw.get("address"), str) else raw.get("address", [])),
        wheelchair=raw.get("wheelchair"),
        lat=coords.get("lat"),
        lon=coords.get("lon"),
        x=coords.get("x"),
        y=coords.get("y"),
        crs=coords.get("crs"),
        region=tuple(region) if region else None,
    )


@dataclass
class Registry:
    """The facilities of one registry file (WGS84) and what happened to each row.

    ``rejected`` lists ``(row, reason)`` for rows left out; ``swapped`` the rows whose
    coordinates were read exchanged. Rows are spreadsheet lines (header = 1) for CSV and
    feature numbers (first = 1) for GeoPackage/GeoJSON.
    """

    path: Path
    mapping: RegistryMapping
    facilities: gpd.GeoDataFrame
    rejected: list[tuple[int, str]] = field(default_factory=list)
    swapped: list[int] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Plain sentences for people about what was read."""
        out = [
            f"{self.path.name}: {len(self.facilities)} {self.mapping.category} facilities read, "
            f"{len(self.rejected)} rows left out"
        ]
        m = self.mapping
        first, second = (m.lat, m.lon) if m.lat else (m.x, m.y)
        if self.swapped and len(self.swapped) == len(self.facilities):
            out.append(
                f"{self.path.name}: columns {first!r} and {second!r} hold each other's values in "
                f"every row; read them exchanged (colonne scambiate)"
            )
        elif self.swapped:
            out.append(
                f"{self.path.name}: rows {', '.join(map(str, self.swapped[:20]))} have their coordinates "
                f"exchanged; read them exchanged"
            )
        out += [f"{self.path.name}: row {row}: {reason}" for row, reason in self.rejected[:20]]
        return out


def read_registry(
    path: str | Path, mapping: RegistryMapping | str | Path, area: BaseGeometry | None = None
) -> Registry:
    """Read a registry file with its mapping; ``area`` (WGS84) narrows the places to the
    city (rows outside it are left out, with the reason) and helps detect swapped columns."""
    path = Path(path)
    if not isinstance(mapping, RegistryMapping):
        mapping = read_mapping(mapping)
    if not path.is_file():
        raise InputNotFoundError(f"registry file not found: {path}")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        table = read_csv_records(path, RegistryError)
        rows = [dict(zip(table.headers, r)) for r in table.records]
        numbers, headers, geometries = table.numbers, table.headers, [None] * len(rows)
    elif suffix in {".gpkg", ".geojson", ".json"}:
        rows, numbers, headers, geometries = _read_geo(path)
    else:
        raise RegistryError(f"{path.name}: unknown registry file type {suffix!r}; use CSV, GeoPackage or GeoJSON")
    missing = [c for c in mapping.columns if c not in headers]
    if missing:
        raise RegistryError(
            f"{path.name}: column(s) {', '.join(map(repr, missing))} named by the mapping are not "
            f"in the file; its columns are: {', '.join(headers)}"
        )
    if not (mapping.lat or mapping.x) and all(g is None for g in geometries):
        raise RegistryError(f"{path.name}: the mapping names no coordinate columns and the file has no geometry")
    return _facilities(path, mapping, rows, numbers, geometries, area)


def _read_geo(path: Path) -> tuple[list[dict[str, Any]], list[int], list[str], list[BaseGeometry | None]]:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL reports damaged files in many ways
        raise RegistryError(f"{path.name}: not a readable GeoPackage/GeoJSON file ({exc})") from None
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(WGS84)
    headers = [c for c in frame.columns if c != frame.geometry.name]
    rows = [
        {k: ("" if v is None or v != v else str(v)) for k, v in r.items()} for r in frame[headers].to_dict("records")
    ]
    geoms = [None if g is None or g.is_empty else g for g in frame.geometry]
    return rows, list(range(1, len(rows) + 1)), headers, geoms


def _facilities(
    path: Path,
    m: RegistryMapping,
    rows: list[dict[str, Any]],
    numbers: list[int],
    geometries: list[BaseGeometry | None],
    area: BaseGeometry | None,
) -> Registry:
    region = area if area is not None else (box(*m.region) if m.region else box(-180, -90, 180, 90))
    out, rejected, swapped = [], [], []
    for row, number, geom in zip(rows, numbers, geometries):
        name = " ".join(str(row.get(c, "")).strip() for c in m.name).strip()
        outline = ""
        if m.lat or m.x:
            first_col, second_col = (m.lon, m.lat) if m.lat else (m.x, m.y)
            try:
                first = parse_number(row[first_col])
                second = parse_number(row[second_col])
            except ValueError:
                bad = first_col if not _is_number(row[first_col]) else second_col
                rejected.append((number, f"column {bad!r}: {row[bad]!r} is not a coordinate"))
                continue
            where = locate(first, second, m.crs, region, geographic=m.lat is not None)
            if isinstance(where, str):
                where_text = "the city's area" if area is not None else "the registry's region"
                rejected.append(
                    (
                        number,
                        f"({row[first_col]}, {row[second_col]}) lies outside {where_text}"
                        if where == "outside"
                        else "no coordinate system",
                    )
                )
                continue
            if where.swapped:
                swapped.append(number)
            point = Point(where.lon, where.lat)
        elif geom is None:
            rejected.append((number, "no geometry"))
            continue
        else:
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            if geom.geom_type in {"Polygon", "MultiPolygon"}:
                outline = geom.wkt
            if not region.contains(point):
                rejected.append((number, f"({point.x:.6f}, {point.y:.6f}) lies outside the area"))
                continue
        wheelchair = _WHEELCHAIR.get(str(row.get(m.wheelchair, "")).strip().lower(), "") if m.wheelchair else ""
        ref = str(row.get(m.id, "")).strip() if m.id else ""
        address = " ".join(str(row.get(c, "")).strip() for c in m.address).strip()
        tags = ";".join(t for t in (f"ref={ref}" if ref else "", f"addr={address}" if address else "") if t)
        out.append(
            {
                "category": m.category,
                "name": name,
                "wheelchair": wheelchair,
                "osm_type": "registry",
                "osm_id": number,
                "tags": tags,
                "entrances": "",
                "outline": outline,
                "source": m.source,
                "geometry": point,
            }
        )
    frame = gpd.GeoDataFrame(out, columns=COLUMNS + ["geometry"], geometry="geometry", crs=WGS84)
    frame = frame.astype({"osm_id": "int64"})
    result = Registry(path, m, frame, rejected, swapped)
    if len(frame) == 0:
        raise RegistryError(f"{path.name}: no usable row; " + "; ".join(result.notes()[1:6]))
    for note in result.notes():
        log.info(note)
    return result


def _is_number(value: Any) -> bool:
    try:
        parse_number(value)
        return True
    except ValueError:
        return False


def join_facilities(osm: gpd.GeoDataFrame, registries: list[Registry]) -> gpd.GeoDataFrame:
    """The OSM facilities with the registries' rows appended, in the OSM table's CRS."""
    frames = [osm] + [r.facilities.to_crs(osm.crs) for r in registries]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=osm.crs)
