#!/bin/sh
# Re-capture what main printed for these run folders (the fixtures of test_runs_from_main.py):
#   tests/data/runs_from_main/capture.sh /path/to/main/.venv/bin/audioprobe
# Each run is opened from a copy, as the test does, and its folder path is written as <RUN>.
set -eu
AP=$1
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$HERE/expected"
for run in feedback smoke; do
  tmp=$(mktemp -d)
  cp -r "$HERE/$run" "$tmp/$run"
  root="$tmp/$run"
  COLUMNS=200 "$AP" show "$root" > "$HERE/expected/$run.show.txt"
  for table in trials rounds sets; do
    "$AP" export "$root" --table "$table" -f csv > "$HERE/expected/$run.$table.csv"
  done
  sed -i "s|$root|<RUN>|g" "$HERE/expected/$run".*
  rm -rf "$tmp"
done
