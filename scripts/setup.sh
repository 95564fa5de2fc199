#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project; with "test", its test tools too.
# The maps' JavaScript (package.json: protomaps-leaflet, pmtiles, leaflet.markercluster)
# is installed from the npm registry into node_modules/, from where the maps inline it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm (Node.js) is required for the maps' JavaScript: apt-get install npm" >&2; exit 1; }
npm ci --no-audit --no-fund --loglevel=error >/dev/null
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
