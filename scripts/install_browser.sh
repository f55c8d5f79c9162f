#!/bin/sh
# Browser test dependencies for the report tests and benchmark (tests/test_report_*.py,
# benchmarks/report.py): Debian's chromium, driven by the playwright Python client through
# executable_path=/usr/bin/chromium. `playwright install` is never run: it downloads browsers.
set -eu
# The clone's own virtual environment, wherever the clone is (VENV overrides).
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
if [ ! -x "$VENV/bin/pip" ]; then
    echo "no virtual environment at $VENV: create it (make install) or set VENV=/path/to/venv" >&2
    exit 1
fi
start=$(date +%s)
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi
flock /tmp/ap-pip.lock "$VENV/bin/pip" install -q "playwright>=1.45"
echo "browser test deps installed in $(( $(date +%s) - start )) s: $(chromium --version)"
