#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project; with "test", its test tools too.
# The maps' JavaScript (package.json: protomaps-leaflet, pmtiles, leaflet.markercluster)
# is installed from the npm registry into node_modules/; the files the maps inline are
# copied, with their licences, into accessibility/outputs/map_assets/vendor/ (not in git),
# so that a wheel built here carries them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required" >&2; exit 1; }
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
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
