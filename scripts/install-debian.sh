#!/usr/bin/env sh
# Install one of Debian's packages when its program is missing (make test, make serve).
#   scripts/install-debian.sh PACKAGE PROGRAM WHAT-NEEDS-IT
# As root: apt-get (with an update if the first try fails); with passwordless sudo: the
# same through sudo; otherwise it says how, and whatever needs it is skipped.
set -e
PACKAGE="$1"; PROGRAM="$2"; NEEDS="$3"
if [ -x "$PROGRAM" ] || command -v "$PROGRAM" >/dev/null 2>&1; then exit 0; fi
install() {
  $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PACKAGE" >/dev/null 2>&1 || {
    $1 apt-get update -q >/dev/null 2>&1
    $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PACKAGE" >/dev/null
  }
}
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's $PACKAGE for $NEEDS..."
  install ""
elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
     && sudo -n true 2>/dev/null; then
  # only when sudo needs no password: make must never stop at a prompt
  install "sudo -n"
else
  echo "$PROGRAM not found and cannot be installed automatically."
  echo "Install it (Debian/Ubuntu: 'sudo apt-get install $PACKAGE'); without it $NEEDS is skipped."
fi
