#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project; with "test", its test tools too.
# The maps' JavaScript (package.json: protomaps-leaflet, pmtiles, leaflet.markercluster)
# is installed from the npm registry into node_modules/; the files the maps inline are
# copied, with their licences, into accessibility/outputs/map_assets/vendor/ (not in git),
# so that a wheel built here carries them (scripts/vendor_js.sh).
# The PDF of the yearly report (WeasyPrint) needs Debian's Pango library: installed here
# when missing and possible (root with apt-get); without it only the PDF is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ required" >&2; exit 1; }
scripts/vendor_js.sh
[ -x .venv/bin/python ] || "$PY" -m venv .venv
extra=""
[ "${1:-}" = "test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extra}"
if ! ldconfig -p 2>/dev/null | grep -q "libpango-1.0.so"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; } \
            || echo "Pango could not be installed: the PDF of the yearly report will not be available" >&2
    else
        echo "Pango is missing and cannot be installed here (needs root and apt-get): no PDF of the yearly report" >&2
    fi
fi
