#!/bin/sh
# e2e-cost: 190
# e2e: alone — it loads every core and counts virsh answers
# 05-console-stress.sh — many short domains through hnbuild's machine module
# (tests/stress/console_stress.c), ended by a guest power-off, by destroy
# while the console floods, by SIGINT or SIGTERM, by a refused ACPI shutdown
# and by the build ending it just as the guest powers off,
# two builds side by side under CPU load, while `virsh list` is asked every
# few seconds and must answer. A console stream still open while libvirt
# tears the domain down deadlocked libvirtd (issue 21): here it would show
# as a `virsh list` that no longer answers, or a worker that never ends.
# `make check` boots 16 domains; `make check-full` (E2E_FULL=1) 200: the
# old console code deadlocked libvirtd here after 142 to about 170 (issue 21).
# STRESS_DOMAINS (per worker) and STRESS_BIN override.
# e2e-full-limit: 4800
. "$(dirname "$0")/lib.sh"

URI=qemu:///system
BIN=${STRESS_BIN:-$ROOT/build/tests/console_stress}
[ -x "$BIN" ] || die "no $BIN (make check builds it)"
if [ "${E2E_FULL:-0}" = 1 ]; then PER=${STRESS_DOMAINS:-100}; else PER=${STRESS_DOMAINS:-8}; fi
WORKERS=2
KERNEL=$(ls /boot/vmlinuz-* | tail -n 1)
[ -r "$KERNEL" ] || die "no kernel in /boot (make deps installs linux-image-amd64)"

say "a tiny guest: the host kernel and a busybox initrd that prints numbered lines"
mkdir -p "$T/root/bin" "$T/run"
cp /bin/busybox "$T/root/bin/busybox"
cp "$ROOT/tests/stress/init" "$T/root/init"
chmod 0755 "$T/root/init"
(cd "$T/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$T/initrd.gz" || die "cannot make the initrd"

say "CPU load: one busy loop per core"
for _ in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	BACKGROUND_PIDS="$BACKGROUND_PIDS $!"
done

# libvirtd must answer throughout: one `virsh list` every 3 s, each allowed
# 30 s; a slower answer is a hang.
: > "$T/virsh.log"
(
	while [ ! -e "$T/run/done" ]; do
		s=$(date +%s)
		if timeout 30 virsh -c $URI list --name > /dev/null 2>&1; then
			echo "ok $(($(date +%s) - s))" >> "$T/virsh.log"
		else
			echo "HANG (virsh list did not answer within 30 s) at $(date +%T)" >> "$T/virsh.log"
		fi
		sleep 3
	done
) &
WATCHER=$!
BACKGROUND_PIDS="$BACKGROUND_PIDS $WATCHER"

say "$WORKERS workers, $PER domains each"
pids=""
for w in $(seq 0 $((WORKERS - 1))); do
	mkdir -p "$T/w$w"
	# Worker w starts at way w, so the two run different endings side by side.
	timeout -k 10 $((PER * 120)) "$BIN" $URI "$KERNEL" "$T/initrd.gz" "$T/w$w" "$PER" "$w" > "$T/w$w.log" 2>&1 &
	pids="$pids $!"
done
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
touch "$T/run/done"
stop_pid $WATCHER
for w in $(seq 0 $((WORKERS - 1))); do
	sed "s/^/  worker $w: /" "$T/w$w.log"
done
hangs=$(grep -c HANG "$T/virsh.log" || true)
answers=$(grep -c '^ok' "$T/virsh.log" || true)
say "virsh answered $answers times; slowest $(sort -k2 -n "$T/virsh.log" | grep '^ok' | tail -n 1 | cut -d' ' -f2) s; $hangs hangs"
[ "$hangs" = 0 ] || { cat "$T/virsh.log"; die "libvirtd stopped answering"; }
[ "$answers" -gt 0 ] || die "virsh never answered"
[ $failed = 0 ] || die "$failed worker(s) failed or hung (see above)"
done_count=$(cat "$T"/w*.log | grep -c '^domain .*: ok after')
[ "$done_count" = $((PER * WORKERS)) ] || die "only $done_count of $((PER * WORKERS)) domains ended as asked"
# Only this run's domains, by the names the workers report.
virsh -c $URI list --all --name > "$T/defined"
left=$(cat "$T"/w*.log | sed -n 's/^domain [0-9]* [a-z]* (\(hnbuild-stress-[0-9-]*\)).*/\1/p' | grep -c -x -F -f - "$T/defined" || true)
[ "$left" = 0 ] || die "$left stress domains left defined"
say "PASS: $done_count domains, $hangs hangs"
