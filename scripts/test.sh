#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (also what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium; the GEAR import and axe-core come with npm.
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
# The accessibility test injects npm's axe-core into the page: the version pinned in
# package.json and package-lock.json, into ./node_modules.
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --silent
fi
# Lint first: a style error fails the run before the slow tests start (settings in pyproject.toml).
python -m ruff check .
exec python -m pytest "$@"
