"""Read municipal facility registries (CSV, GeoPackage, GeoJSON) as facilities.

A registry is any table of places with coordinates: the Regione Lombardia lists of
schools, pharmacies and hospitals, a municipal list of sports grounds. A small TOML
mapping file says which columns hold what (``data/registries/*.toml`` are examples)::

    category = "pharmacy"                 # a category of data/facilities.toml
    source = "Regione Lombardia - Elenco farmacie"
    licence = "IODL 2.0"                  # optional: named with the source in reports
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
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely import Point, box
from shapely.geometry.base import BaseGeometry

from accessibility import settings
from accessibility.constants import FACILITY_COLUMNS as COLUMNS
from accessibility.constants import WGS84
from accessibility.coordinates import locate
from accessibility.errors import InputNotFoundError, RegistryError, brief
from accessibility.i18n import N_, M, Message, Number, _
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
    licence: str = ""
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
    """Read and check a registry mapping file; errors name the file and the key.

    Raises
    ------
    InputNotFoundError
        The file does not exist.
    RegistryError
        Not TOML, an unknown category, a key of the wrong type (``name = 5``, a
        ``coordinates`` that is not a table), or coordinates named incompletely.
    """
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(_("registry mapping file not found: {path}").format(path=path))
    raw = read_toml(path, RegistryError)

    def fail(message: str, **values: Any) -> RegistryError:
        return RegistryError(f"{path.name}: " + _(message).format(**values))

    if "category" not in raw:
        raise fail(N_("say which facility category the registry lists (category = ...)"))
    known = shipped_toml("facilities.toml")
    if not isinstance(raw["category"], str) or raw["category"] not in known:
        raise fail(
            N_("unknown facility category {name}; choose one of: {choices}"),
            name=repr(raw["category"]),
            choices=", ".join(known),
        )

    def columns(key: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise fail(N_("{key} must be a column name or a list of column names, not {value}"), key=key, value=repr(value))

    def column(key: str, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        raise fail(N_("{key} must be a column name in quotes, not {value}"), key=key, value=repr(value))

    coords = raw.get("coordinates", {})
    if not isinstance(coords, dict):
        raise fail(N_("[coordinates] must be a table (lat = ..., lon = ...), not {value}"), value=repr(coords))
    geographic = "lat" in coords or "lon" in coords
    projected = "x" in coords or "y" in coords
    if geographic and projected:
        raise fail(N_("[coordinates] gives both lat/lon and x/y; keep one pair"))
    if geographic and not ("lat" in coords and "lon" in coords):
        raise fail(N_("[coordinates] needs both lat and lon"))
    if projected and not ("x" in coords and "y" in coords and "crs" in coords):
        raise fail(N_("[coordinates] x/y need x, y and crs (an EPSG code, e.g. 3003)"))
    crs = coords.get("crs")
    if crs is not None and (isinstance(crs, bool) or not isinstance(crs, int) or crs not in settings.survey_crs):
        raise fail(
            N_("[coordinates] crs = {value} is not one of the EPSG codes {codes}"),
            value=repr(crs),
            codes=", ".join(map(str, sorted(settings.survey_crs))),
        )
    region = coords.get("region")
    if region is not None and (
        not isinstance(region, list)
        or len(region) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in region)
        or region[0] >= region[2]
        or region[1] >= region[3]
    ):
        raise fail(N_("region must be [lon_min, lat_min, lon_max, lat_max]"))
    return RegistryMapping(
        category=raw["category"],
        source=str(raw.get("source", path.stem)),
        licence=str(raw.get("licence", "")),
        name=columns("name", raw.get("name", [])),
        id=column("id", raw.get("id")),
        address=columns("address", raw.get("address", [])),
        wheelchair=column("wheelchair", raw.get("wheelchair")),
        lat=column("lat", coords.get("lat")),
        lon=column("lon", coords.get("lon")),
        x=column("x", coords.get("x")),
        y=column("y", coords.get("y")),
        crs=crs,
        region=tuple(region) if region else None,
    )


@dataclass
class Registry:
    """The facilities of one registry file (WGS84) and what happened to each row.

    ``rejected`` lists ``(row, reason)`` for rows left out because they cannot be read
    (the reason a :class:`~accessibility.i18n.Message`, shown in the language in use);
    ``outside`` the rows left out because they lie outside the city's area (another
    town's pharmacies in a regional list: counted, not listed one by one); ``swapped``
    the rows whose coordinates were read exchanged. Rows are spreadsheet lines
    (header = 1) for CSV and feature numbers (first = 1) for GeoPackage/GeoJSON.
    """

    path: Path
    mapping: RegistryMapping
    facilities: gpd.GeoDataFrame
    rejected: list[tuple[int, Message]] = field(default_factory=list)
    swapped: list[int] = field(default_factory=list)
    outside: list[int] = field(default_factory=list)

    def notes(self) -> list[Message]:
        """Sentences for people about what was read (translated when shown)."""
        out = [
            M(
                "{file}: {read} places read; {outside} outside the city's area left out; {bad} rows that "
                "cannot be read left out",
                file=self.path.name,
                read=Number(len(self.facilities)),
                outside=Number(len(self.outside)),
                bad=Number(len(self.rejected)),
            )
        ]
        m = self.mapping
        first, second = (m.lat, m.lon) if m.lat else (m.x, m.y)
        if self.swapped and len(self.swapped) == len(self.facilities):
            out.append(
                M(
                    "{file}: columns {first} and {second} hold each other's values in every row; they were "
                    "read exchanged",
                    file=self.path.name,
                    first=repr(first),
                    second=repr(second),
                )
            )
        elif self.swapped:
            out.append(
                M(
                    "{file}: rows {rows} have their coordinates exchanged; they were read exchanged",
                    file=self.path.name,
                    rows=", ".join(map(str, self.swapped[:20])),
                )
            )
        out += [
            M("{file}: row {row}: {reason}", file=self.path.name, row=row, reason=reason)
            for row, reason in self.rejected[:20]
        ]
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
        raise InputNotFoundError(_("registry file not found: {path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        table = read_csv_records(path, RegistryError)
        width = len(table.headers)  # a short row (a spreadsheet drops trailing empty cells) is padded
        rows = [dict(zip(table.headers, [*r, *[""] * (width - len(r))])) for r in table.records]
        numbers, headers, geometries = table.numbers, table.headers, [None] * len(rows)
    elif suffix in {".gpkg", ".geojson", ".json"}:
        rows, numbers, headers, geometries = _read_geo(path)
    else:
        raise RegistryError(
            _("{file}: unknown registry file type {suffix}; use CSV, GeoPackage or GeoJSON").format(
                file=path.name, suffix=repr(suffix)
            )
        )
    missing = [c for c in mapping.columns if c not in headers]
    if missing:
        raise RegistryError(
            _(
                "{file}: column(s) {missing} named by the mapping are not in the file; its columns are: {columns}"
            ).format(
                file=path.name, missing=", ".join(map(repr, missing)), columns=", ".join(h[:40] for h in headers[:30])
            )
        )
    if not (mapping.lat or mapping.x) and all(g is None for g in geometries):
        raise RegistryError(
            _("{file}: the mapping names no coordinate columns and the file has no geometry").format(file=path.name)
        )
    return _facilities(path, mapping, rows, numbers, geometries, area)


def _read_geo(path: Path) -> tuple[list[dict[str, Any]], list[int], list[str], list[BaseGeometry | None]]:
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(path)
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(WGS84)
    except Exception as exc:  # GDAL and PROJ report damaged files in many ways
        raise RegistryError(
            _("{file}: not a readable GeoPackage/GeoJSON file ({reason})").format(file=path.name, reason=brief(exc))
        ) from None
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
    out: list[dict[str, Any]] = []
    rejected: list[tuple[int, Message]] = []
    swapped: list[int] = []
    outside: list[int] = []
    for row, number, geom in zip(rows, numbers, geometries):
        name = " ".join(str(row.get(c, "")).strip() for c in m.name).strip()
        outline = ""
        if m.lat or m.x:
            first_col, second_col = (m.lon, m.lat) if m.lat else (m.x, m.y)
            assert first_col and second_col  # the mapping names both columns of a pair (checked when read)
            try:
                first = parse_number(row[first_col])
                second = parse_number(row[second_col])
            except ValueError:
                bad = first_col if not _is_number(row[first_col]) else second_col
                rejected.append(
                    (number, M("column {column}: {value} is not a coordinate", column=repr(bad), value=repr(row[bad])))
                )
                continue
            where = locate(first, second, m.crs, region, geographic=m.lat is not None)
            if where == "outside":
                outside.append(number)
                continue
            if isinstance(where, str):
                rejected.append((number, M("no coordinate system")))
                continue
            if where.swapped:
                swapped.append(number)
            point = Point(where.lon, where.lat)
        elif geom is None:
            rejected.append((number, M("no geometry")))
            continue
        else:
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            if geom.geom_type in {"Polygon", "MultiPolygon"}:
                outline = geom.wkt
            if not region.contains(point):
                outside.append(number)
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
    result = Registry(path, m, frame, rejected, swapped, outside)
    if len(frame) == 0:
        raise RegistryError(
            _("{file}: no usable row; {notes}").format(file=path.name, notes="; ".join(map(str, result.notes()[:6])))
        )
    for note in result.notes():
        log.info("%s", note.text("en"))
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
