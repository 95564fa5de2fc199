#!/usr/bin/env bash
# Install the maps' JavaScript from the npm registry (package.json, package-lock.json) and
# copy the files the maps inline, with their licences, into
# accessibility/outputs/map_assets/vendor/ (not in git; shipped in the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is required for the maps' JavaScript: apt-get install npm" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error >/dev/null
vendor=accessibility/outputs/map_assets/vendor
mkdir -p "$vendor"
cp node_modules/pmtiles/dist/pmtiles.js node_modules/protomaps-leaflet/dist/protomaps-leaflet.js \
    node_modules/leaflet.markercluster/dist/leaflet.markercluster.js \
    node_modules/leaflet.markercluster/dist/MarkerCluster.css "$vendor"/
for pkg in pmtiles protomaps-leaflet leaflet.markercluster; do  # their licence texts (pmtiles: BSD-3-Clause, in package.json)
    for f in node_modules/"$pkg"/LICENSE* node_modules/"$pkg"/*LICENCE*; do
        if [ -f "$f" ]; then cp "$f" "$vendor/LICENSE.$pkg"; fi
    done
done
