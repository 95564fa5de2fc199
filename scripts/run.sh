#!/usr/bin/env bash
# The main job: set up, build Cremona's network and barriers, export them, audit the city
# and plan the interventions of a budget (BUDGET, default 150000 euros).
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
# The accessibility audit (tables, maps, report.html in maps/<city>/) and the plan
# (plan.csv, plan.xlsx, plan.html, plan_report.html beside it). For Cremona, the residents
# and ages come from the ISTAT table and the schools, pharmacies and hospitals from the
# Regione Lombardia registries beside the repository, when they are there, for both; any
# other city (or a machine without them) gets a uniform spread of a default number of
# residents and the facilities found in OpenStreetMap.
SHARED=../shared/data
POPULATION_ARGS=(--residents 10000)
REGISTRY_ARGS=()
if [ "$NAME" = "Cremona" ]; then
  POPULATION=$SHARED/cremona-population-istat/cremona_019036_population_by_age_2023.csv
  [ -f "$POPULATION" ] && POPULATION_ARGS=(--population "$POPULATION")
  for pair in scuole:lombardia_scuole farmacie:lombardia_farmacie strutture_ricovero:lombardia_strutture_ricovero; do
    file=$SHARED/lombardia-services-opendata/cremona_${pair%%:*}_20260215.csv
    [ -f "$file" ] && REGISTRY_ARGS+=(--registry "$file" --registry-map "data/registries/${pair##*:}.toml")
  done
fi
OUT=maps/$(basename "$CITY")
AUDIT_POPULATION=()
[ "${POPULATION_ARGS[0]}" = --population ] && AUDIT_POPULATION=("${POPULATION_ARGS[@]}")
.venv/bin/accessibility audit --city "$CITY" -o "$OUT" "${AUDIT_POPULATION[@]}" "${REGISTRY_ARGS[@]}"
echo "audit report: $OUT/report.html"
.venv/bin/accessibility plan --city "$CITY" --budget "${BUDGET:-150000}" "${POPULATION_ARGS[@]}" "${REGISTRY_ARGS[@]}" \
  -o "$OUT/plan.csv" --xlsx "$OUT/plan.xlsx" --map "$OUT/plan.html" --report "$OUT/plan_report.html"
echo "plan report: $OUT/plan_report.html"
