"""Shared helpers of the survey tests: the synthetic Cremona grid and its workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd

from accessibility import City
from accessibility.sources.osm import read_osm_files
from realdata import CREMONA_BOUNDARY as CREMONA
from realdata import LOMBARDY as LOMBARDIA
from realdata import MILAN as MILANO

__all__ = ["CREMONA", "LOMBARDIA", "MILANO", "SURVEYS", "grid_city", "grid_workspace", "node_ll"]

SURVEYS = Path(__file__).parent / "data" / "surveys"

LAT0, LON0, DLAT, DLON = 45.1330, 10.0235, 0.0005, 0.0007  # as in data/surveys/make_files.py


def node_ll(i: int, j: int) -> tuple[float, float]:
    return round(LAT0 + i * DLAT, 7), round(LON0 + j * DLON, 7)


def grid_city() -> City:
    """The synthetic grid, with the real ISTAT boundary of the Comune di Cremona as area."""
    area = gpd.read_file(CREMONA).to_crs(4326).union_all()
    return City.from_osm(read_osm_files([SURVEYS / "cremona_grid.osm"]), name="grid", area=area)


def grid_workspace(tmp_path: Path) -> tuple[City, Path]:
    """A saved grid city, and a folder holding copies of the survey files (rejects files
    are written beside the input, never into the repository)."""
    city = grid_city()
    city.save(tmp_path / "ws")
    files = tmp_path / "files"
    files.mkdir()
    for f in SURVEYS.iterdir():
        if f.suffix != ".py":
            shutil.copy(f, files / f.name)
    return City.load(tmp_path / "ws"), files
