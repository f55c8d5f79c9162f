#!/bin/sh
# Browser test dependencies for the report tests and benchmark (tests/test_report_*.py,
# benchmarks/report.py): Debian's chromium, driven by the playwright Python client through
# executable_path=/usr/bin/chromium. `playwright install` is never run: it downloads browsers.
set -eu
VENV=${VENV:-/work/main/.venv}
start=$(date +%s)
if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
fi
flock /tmp/ap-pip.lock "$VENV/bin/pip" install -q "playwright>=1.45"
echo "browser test deps installed in $(( $(date +%s) - start )) s: $(chromium --version)"
