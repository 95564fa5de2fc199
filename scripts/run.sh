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
