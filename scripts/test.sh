#!/usr/bin/env bash
# Set up with the test tools and run the whole test suite. Real data is read from
# ../shared/data beside the repository; browser tests use Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec .venv/bin/python -m pytest "$@"
