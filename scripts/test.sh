#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (also what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser test drives Debian's Chromium; the GEAR import fetches its model with npm.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: missing ${missing[*]}; their tests will fail (sudo apt-get install ${missing[*]})" >&2
  fi
fi
python -m pip install -q -r requirements-dev.txt
# Lint first: a style error fails the run before the slow tests start (settings in pyproject.toml).
python -m ruff check .
exec python -m pytest "$@"
