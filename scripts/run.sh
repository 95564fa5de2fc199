#!/usr/bin/env bash
# The main job: set up, then build Cremona's network and barriers and export them.
#   scripts/run.sh                      download Cremona from OpenStreetMap (needs internet)
#   scripts/run.sh --osm FILE [--osm FILE ...]   offline, from OSM files
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
CITY=${CITY:-cities/cremona}
NAME=${NAME:-Cremona}
if [ $# -eq 0 ]; then
  set -- --place "Cremona, Italy"
fi
.venv/bin/accessibility -v build "$@" --name "$NAME" --city "$CITY"
mkdir -p maps
.venv/bin/accessibility barriers --city "$CITY" -o "$CITY/barriers.geojson"
.venv/bin/accessibility barriers --city "$CITY" -o "$CITY/barriers.csv"
# The accessibility audit (tables, maps, report.html in $CITY/audit). Cremona's residents
# and ages come from the ISTAT table beside the repository when it is there; any other
# city (or a machine without it) gets a uniform spread of a default number of residents.
POPULATION=../shared/data/cremona-population-istat/cremona_019036_population_by_age_2023.csv
AUDIT_ARGS=()
if [ "$NAME" = "Cremona" ] && [ -f "$POPULATION" ]; then
  AUDIT_ARGS=(--population "$POPULATION")
fi
.venv/bin/accessibility audit --city "$CITY" -o "$CITY/audit" "${AUDIT_ARGS[@]}"
