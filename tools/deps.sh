#!/bin/sh
# deps.sh — install the Debian packages in tools/packages.txt that are
# missing; silent when everything is present. Idempotent.
set -eu
cd "$(dirname "$0")/.."
missing=""
for p in $(grep -v '^#' tools/packages.txt); do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
