#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright; install it if it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests (apt-get)..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is missing: run 'sudo apt-get install chromium' (needed by tests/browser)." >&2
  exit 1
fi
