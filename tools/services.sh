#!/bin/sh
# services.sh — make sure virtlogd and libvirtd run (these machines have no
# systemd as PID 1). Starts only what is not running; never stops anything.
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
running /run/virtlogd.pid || $SUDO virtlogd -d
running /run/libvirtd.pid || $SUDO libvirtd -d
for _ in $(seq 50); do
	virsh -c qemu:///system version >/dev/null 2>&1 && exit 0
	sleep 0.2
done
echo "services: libvirtd does not answer on qemu:///system" >&2
exit 1
