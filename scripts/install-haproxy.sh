#!/usr/bin/env sh
# Install Debian's HAProxy for `make serve` (several workers behind one proxy) and its test.
set -e
if command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's haproxy for make serve..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy >/dev/null
  }
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
     && sudo -n true 2>/dev/null; then
  sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy || {
    sudo -n apt-get update -q >/dev/null 2>&1
    sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -q haproxy
  }
else
  echo "HAProxy not found and cannot be installed automatically."
  echo "Install it (Debian/Ubuntu: 'sudo apt-get install haproxy'); make serve needs it,"
  echo "and its test is skipped without it."
fi
