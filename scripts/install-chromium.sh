#!/usr/bin/env sh
# Install Debian's Chromium for the browser tests when it is missing.
set -e
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  }
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
     && sudo -n true 2>/dev/null; then
  # only when sudo needs no password: make test must never stop at a prompt
  sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || {
    sudo -n apt-get update -q >/dev/null 2>&1
    sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  }
else
  echo "Chromium not found at $CHROMIUM and cannot be installed automatically."
  echo "Install it (Debian/Ubuntu: 'sudo apt-get install chromium'), or set CHROMIUM=/path/to/chromium."
  echo "The browser tests will be skipped."
fi
