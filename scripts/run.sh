#!/usr/bin/env bash
# The main job: set up, build Cremona's network and barriers, export them, audit the city.
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
.venv/bin/accessibility barriers --city "$CITY" -o "$CITY/barriers.geojson"
.venv/bin/accessibility barriers --city "$CITY" -o "$CITY/barriers.csv"
# The accessibility audit (tables, maps, report.html in maps/<city>/). For Cremona, the
# residents and ages come from the ISTAT table and the schools, pharmacies and hospitals
# from the Regione Lombardia registries beside the repository, when they are there; any
# other city (or a machine without them) gets a uniform spread of a default number of
# residents and the facilities found in OpenStreetMap.
SHARED=../shared/data
AUDIT_ARGS=()
if [ "$NAME" = "Cremona" ]; then
  POPULATION=$SHARED/cremona-population-istat/cremona_019036_population_by_age_2023.csv
  [ -f "$POPULATION" ] && AUDIT_ARGS+=(--population "$POPULATION")
  for pair in scuole:lombardia_scuole farmacie:lombardia_farmacie strutture_ricovero:lombardia_strutture_ricovero; do
    file=$SHARED/lombardia-services-opendata/cremona_${pair%%:*}_20260215.csv
    [ -f "$file" ] && AUDIT_ARGS+=(--registry "$file" --registry-map "data/registries/${pair##*:}.toml")
  done
fi
OUT=maps/$(basename "$CITY")
.venv/bin/accessibility audit --city "$CITY" -o "$OUT" "${AUDIT_ARGS[@]}"
echo "audit report: $OUT/report.html"
