#!/bin/sh
# e2e-cost: 190
# 25-install-errors.sh — what a build does with bad input and failures:
# Every failed build (exit 1) leaves a failure bundle, checked here for an
# installer failure (the screen, console, domain, install data), a
# libvirtd that never answered, and as a --log-format json event; bad input
# (exit 3) leaves none.
# wrong digest (exit 3, no VM started), truncated and non-ISO files, an ISO
# of the other arch or OS, an unreachable URL, an autoinstall subiquity
# would refuse (exit 2 before anything boots), an installer failure at a
# chosen step (named step and console tail), an installer that powers off without installing
# (an early-command powers the machine off through sysrq, as it would on
# the real live system: the disk has no partition table),
# one that hangs silently (--stall-timeout: no console output, no disk
# writes), a timeout (with --on-error abort: the VM stopped, its work files and install
# disk kept), a libvirtd that never answers, and SIGINT during the install
# (nothing left: no domain, no temp file); after SIGKILL the next build
# removes the killed one's work directory.
. "$(dirname "$0")/lib.sh"

U=$FIXTURES/ubuntu24-amd64.iso
start_nodeadm_server # nodeadm is fetched and verified before the install starts
FLAGS="$(test_build_flags) $NODEADM_FLAGS"
OUT=$T/out-images

say "wrong digest: exit 3, the ISO is not used, no VM started"
expect_rc 3 "$HNBUILD" build --os ubuntu24 --iso "$U" \
	--iso-checksum sha256:0000000000000000000000000000000000000000000000000000000000000000 $FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: Checksum mismatch for $U: expected sha256:0000000000000000000000000000000000000000000000000000000000000000, got sha256:"
grep -q "failure bundle" "$T/out" && { cat "$T/out"; die "bad input (exit 3) is one error line, no bundle"; }
[ ! -e "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure" ] || die "bad input (exit 3) left a failure bundle"
no_domains
no_temp_files

say "truncated ISO and a file that is no ISO: exit 3"
head -c 40000 "$U" > "$T/truncated.iso"
expect_rc 3 "$HNBUILD" build --os ubuntu24 --iso "$T/truncated.iso" --iso-checksum none $FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: $T/truncated.iso is truncated: 40000 of [0-9]* bytes"
head -c 2000000 /dev/urandom > "$T/random.iso"
expect_rc 3 "$HNBUILD" build --os ubuntu24 --iso "$T/random.iso" --iso-checksum none $FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: $T/random.iso is not an ISO9660 image"
no_domains

say "an ISO of the other arch, and of the other OS: exit 3 naming both"
expect_rc 3 "$HNBUILD" build --os ubuntu24 --arch amd64 --iso "$FIXTURES/ubuntu24-arm64.iso" --iso-checksum none \
	$FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: ISO $FIXTURES/ubuntu24-arm64.iso is Ubuntu 24.04 arm64 (label '.*') but the build asks for --os ubuntu24 --arch amd64$"
RH_USERNAME=u RH_PASSWORD=pass-word expect_rc 3 "$HNBUILD" build --os rhel9 --iso "$U" --iso-checksum none \
	$FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: ISO $U is Ubuntu 24.04 amd64 (label '.*') but the build asks for --os rhel9 --arch amd64$"
no_domains

say "unreachable URL: exit 1 with the URL, nothing left"
expect_rc 1 "$HNBUILD" build --os ubuntu24 --iso https://127.0.0.1:1/ubuntu.iso \
	--iso-checksum sha256:0000000000000000000000000000000000000000000000000000000000000000 $FLAGS --output-dir "$OUT"
expect_out "^hnbuild: error: Download of https://127.0.0.1:1/ubuntu.iso failed: .*[Cc]onnect"
no_domains
no_temp_files
say "--log-format json: the failure bundle is an event"
expect_rc 1 "$HNBUILD" build --os ubuntu24 --iso https://127.0.0.1:1/ubuntu.iso --log-format json \
	--iso-checksum sha256:0000000000000000000000000000000000000000000000000000000000000000 $FLAGS --output-dir "$OUT"
grep -q "\"type\":\"artifact\",\"kind\":\"failure bundle\",\"path\":\"$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure\"" "$T/out" ||
	{ cat "$T/out"; die "no failure-bundle event in the JSON log"; }
check_failure_bundle "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure" iso "$T/out"

say "an autoinstall subiquity would refuse: exit 2 before anything boots, file:line:column named"
rm -rf "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure" # the failed download's
cat > "$T/bad-autoinstall.yaml" <<'EOY'
#cloud-config
autoinstall:
  version: 1
  storage:
    layout:
      name: direct
  user-data:
    users: [{name: tester, lock_passwd: true}]
  shutdown: sometimes
EOY
expect_rc 2 "$HNBUILD" build --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --autoinstall "$T/bad-autoinstall.yaml" \
	--output-dir "$OUT"
expect_out "^hnbuild: error: $T/bad-autoinstall.yaml:9:3: autoinstall.shutdown: 'sometimes' is not one of: reboot, poweroff"
expect_out "Malformed autoinstall in 'shutdown' section"
grep -q "==> install" "$T/out" && die "a refused autoinstall reached the install"
[ ! -e "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure" ] || die "bad input (exit 2) left a failure bundle"

say "installer failure at a chosen step: an early-command that fails"
cat > "$T/fail-autoinstall.yaml" <<'EOY'
#cloud-config
autoinstall:
  version: 1
  early-commands: ['echo the chosen step fails; false']
  storage:
    layout:
      name: direct
  user-data:
    users: [{name: tester, lock_passwd: true}]
  shutdown: poweroff
EOY
expect_rc 1 "$HNBUILD" build --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --autoinstall "$T/fail-autoinstall.yaml" \
	--output-dir "$OUT"
cat "$T/out" | tail -n 15
expect_out "installer failed"
expect_out "last step: .*Early/run"
expect_out "command 'echo the chosen step fails; false' failed with exit status 1"
# The installer waits at its prompt; hnbuild ends the install on seeing it.
expect_out "An error occurred. Press enter to start a shell"
expect_out "console (last lines)"
say "its failure bundle: the waiting installer's screen, its console, domain, install data"
FB=$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure
check_failure_bundle "$FB" install "$T/out" screenshot.png console-install.log domain.xml \
	install-data/user-data install-data/meta-data
grep -q "Press enter to start a shell" "$FB/console-install.log" || die "the bundle's console lacks the installer's prompt"
grep -q "installer-logs/ .*copies its logs there only at the end" "$FB/README" ||
	{ cat "$FB/README"; die "the bundle does not say why there are no installer logs"; }
no_domains
no_temp_files
[ ! -e "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.qcow2" ] || die "an output was written by a failed build"

say "an installer that powers off without installing: exit 1, named as such, nothing cached"
# sysrq's power-off is asynchronous: the command sleeps so that the
# installer's last step is still the early-command when the machine stops
# (without it the installer may print its next step first, as in CI of stop 26).
cat > "$T/poweroff-autoinstall.yaml" <<'EOY'
#cloud-config
autoinstall:
  version: 1
  early-commands: ['echo o > /proc/sysrq-trigger; sleep 60']
  storage:
    layout:
      name: direct
  user-data:
    users: [{name: tester, lock_passwd: true}]
  shutdown: poweroff
EOY
expect_rc 1 "$HNBUILD" build --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --autoinstall "$T/poweroff-autoinstall.yaml" \
	--output-dir "$OUT"
expect_out "installer powered off after [0-9]* s without installing: the disk has no partition table"
expect_out "last step: .*Early/run"
grep -q "stored the installed base" "$T/out" && die "an empty disk was stored in the cache"
no_domains
no_temp_files
[ ! -e "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.qcow2" ] || die "an output was written by a failed build"

say "an installer that hangs silently: ends at --stall-timeout, exit 1, the step named"
cat > "$T/hang-autoinstall.yaml" <<'EOY'
#cloud-config
autoinstall:
  version: 1
  early-commands: ['sleep 100000']
  storage:
    layout:
      name: direct
  user-data:
    users: [{name: tester, lock_passwd: true}]
  shutdown: poweroff
EOY
start=$(date +%s)
expect_rc 1 "$HNBUILD" build --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --autoinstall "$T/hang-autoinstall.yaml" \
	--stall-timeout 30s --output-dir "$OUT"
took=$(($(date +%s) - start))
expect_out "installer stalled: no console output and no disk writes for 30 s (--stall-timeout); last step: .*Early/run/command_0: sleep 100000"
# Well before --timeout (40m): the stall, not the time limit, ended it.
[ "$took" -lt 600 ] || die "the stalled install took $took s to end"
no_domains
no_temp_files

say "timeout with --on-error abort: exit 1, the VM stopped, its files kept (ISO given by a relative path)"
cd "$FIXTURES" || die "no fixtures"
expect_rc 1 "$HNBUILD" build --os ubuntu24 --iso ubuntu24-amd64.iso --iso-checksum file:SHA256SUMS $FLAGS \
	--timeout 20s --on-error abort --output-dir "$OUT"
cd "$ROOT" || die "no root"
expect_out "did not finish within 20 s"
no_domains
KEPT=$(sed -n 's/.*--on-error abort: work files kept in \(.*\)$/\1/p' "$T/out")
DISK=$(sed -n 's/.*--on-error abort: the unfinished install disk is \(.*\)$/\1/p' "$T/out")
[ -n "$KEPT" ] && [ -d "$KEPT" ] || { cat "$T/out"; die "--on-error abort did not keep the work directory"; }
grep -q "Linux version" "$KEPT/console-install.log" || die "the kept work directory has no install console log"
[ -n "$DISK" ] && qemu-img info "$DISK" > /dev/null 2>&1 || die "--on-error abort did not keep the install disk ($DISK)"
grep -q "left running" "$T/out" && die "--on-error abort left the VM running"
rm -rf "$KEPT" "$DISK"
no_temp_files

say "a libvirtd that does not answer: exit 1 naming libvirtd within --libvirt-timeout, nothing left"
# A socket that takes connections and never answers: a wedged daemon as a
# client sees it (issue 21).
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
conns = []
while True:
    conns.append(s.accept()[0])
' "$T/silent-sock" &
SILENT=$!
BACKGROUND_PIDS="$BACKGROUND_PIDS $SILENT"
for _ in $(seq 50); do [ -S "$T/silent-sock" ] && break; sleep 0.1; done
s=$(date +%s)
expect_rc 1 "$HNBUILD" build --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --output-dir "$OUT" \
	--libvirt-uri "qemu+unix:///system?socket=$T/silent-sock" --libvirt-timeout 5s
took=$(($(date +%s) - s))
expect_out "libvirtd at qemu+unix:///system?socket=$T/silent-sock did not answer within 5 s"
[ "$took" -lt 120 ] || die "the build took $took s to give up on a silent libvirtd"
no_temp_files
_left=$(ls -A "$OUT" 2>/dev/null | grep -v '\.build\.log$' | grep -v '\.failure$' || true)
[ -z "$_left" ] || die "outputs left by a build that never reached libvirtd: $_left"
check_failure_bundle "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure" install "$T/out" install-data/user-data
grep -q "screenshot.png .*no VM was running" "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.31.failure/README" ||
	die "the bundle of a build that never started a VM does not say why it has no screenshot"
stop_pid $SILENT
expect_rc 2 "$HNBUILD" validate --os ubuntu24 --libvirt-timeout 0s
expect_out "libvirt-timeout"

# start_install LOG — a build in the background (pid in B) until its
# installer boots
start_install() {
	# shellcheck disable=SC2046
	start_build "$1" --os ubuntu24 $(iso_flags ubuntu24 amd64) $FLAGS --output-dir "$OUT"
	for _ in $(seq 120); do
		grep -q "install: .* booting" "$1" && break
		sleep 1
	done
	grep -q "booting" "$1" || { cat "$1"; die "the install did not start"; }
}

say "SIGINT during the install: exit 130, nothing left"
start_install "$T/int.out"
sleep 5
[ -n "$(my_domains)" ] || die "no install domain while installing"
kill -INT $B
wait $B
rc=$?
CHILD_PIDS=""
cat "$T/int.out" | tail -n 3
[ $rc = 130 ] || die "expected exit 130 after SIGINT, got $rc"
no_domains
no_temp_files

say "SIGKILL during the install: the VM goes with hnbuild, the next build removes its work directory"
start_install "$T/kill.out"
kill -KILL $B
wait $B
CHILD_PIDS=""
for _ in $(seq 30); do
	[ -n "$(my_domains --all)" ] || break
	sleep 1
done
no_domains
ls "$TMPDIR" | grep -q '^hnbuild-' || die "no work directory left by the killed build (the sweep below proves nothing)"
sleep 10 # leftover.h: nothing younger than 10 s is touched
expect_rc 3 "$HNBUILD" build --os ubuntu24 --iso "$U" \
	--iso-checksum sha256:0000000000000000000000000000000000000000000000000000000000000000 $FLAGS --output-dir "$OUT"
expect_out "the work directory of a build that was killed"
no_temp_files
say "PASS"
