#!/usr/bin/env bash
# Install the Debian packages that hold the other languages' interpreters (csound, chuck, abc,
# supercollider: sandbox/runtime.toml's [debian] table), at their pinned versions, so that the
# sandbox runtime copies them into its tree and answers in those languages can run.
#   scripts/install_language_deps.sh [VENV]      (default VENV: the clone's .venv, wherever it is)
# Network is used here only: Debian (apt), and only when run as root on a machine with apt-get.
# Optional: without the packages Python runs as before, the runtime hash records them as absent,
# and a run asking for csound, chuck, abc or supercollider stops with the apt-get line (audioprobe
# doctor too).
set -euo pipefail
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV="${1:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  echo "install_language_deps: no Python in $VENV: run make install, or pass the venv's path" >&2
  exit 1
fi

# package=pin for each [debian] package not installed here at its pin (sandbox/rootfs.py decides)
pins=$("$VENV/bin/python" -c \
  'from audioprobe.sandbox.rootfs import RuntimeSpec; print(*RuntimeSpec.load().debian_missing())')
read -r -a missing <<<"$pins"
[ "${#missing[@]}" -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    >/dev/null && exit 0
fi
echo "install_language_deps: csound, chuck, abc and supercollider answers will be refused until this runs" \
     "(as root): apt-get install --no-install-recommends ${missing[*]}" >&2
