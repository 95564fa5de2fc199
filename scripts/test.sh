#!/usr/bin/env bash
# Set up with the test tools, check the code (ruff lint and format, the text catalogue),
# and run the whole test suite. Real data is read from ../shared/data beside the
# repository; browser tests use Debian's chromium, installed here when missing (CI runs
# as root); without it they are skipped and say why. The same for poppler-utils (pdftoppm),
# which renders the yearly report's PDF to images in its test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
            || echo "chromium could not be installed: browser tests will be skipped" >&2
    else
        echo "chromium is missing and cannot be installed here (needs root and apt-get): browser tests will be skipped" >&2
    fi
fi
if ! command -v pdftoppm >/dev/null 2>&1; then  # the PDF test renders pages to images
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; } \
            || echo "poppler-utils could not be installed: the PDF page test will be skipped" >&2
    else
        echo "pdftoppm (poppler-utils) is missing: the PDF page test will be skipped" >&2
    fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
