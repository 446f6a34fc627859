#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine (also what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  # The browser test drives Debian's Chromium; install it when we are allowed to.
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is missing; browser tests will fail (sudo apt-get install chromium)" >&2
  fi
fi
python -m pip install -q -r requirements-dev.txt
exec python -m pytest "$@"
