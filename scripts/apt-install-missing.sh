#!/bin/sh
# gridr: install the Debian packages given as arguments that are not installed yet.
# Usage: sh scripts/apt-install-missing.sh LABEL PKG [PKG ...]. Idempotent, non-interactive;
# uses sudo when not run as root.
set -eu
label=$1
shift
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "$label: all packages already installed"
    exit 0
fi
echo "$label: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
