#!/bin/sh
# e2e-cost: 215
# e2e-after: 20
# 24-on-error-interrupts.sh — what a build leaves when it fails or is
# stopped after the install, on the base that 20-build-ubuntu-amd64.sh
# stored in the suite's cache (no install here):
#  1. --on-error keep, nodeadm fails: exit 1; the provision VM keeps
#     running, the work directory (console log, build key) is kept, and the
#     ssh command the warning prints logs in to that VM;
#  2. SIGTERM while a provision step runs: exit 130, and nothing is left
#     (no domain, no work directory, nothing but the build log in the
#     output directory), though --on-error keep was given (it is for
#     failures; an interrupt always cleans up);
#  3. SIGTERM while the export writes the images: exit 130, no output and
#     no half-written temporary beside the earlier build's SHA256SUMS,
#     manifest.json and image, which are unchanged.
# (--on-error abort is in 25: the install times out; SIGINT during the
# install too. Without 20's base, run alone, case 1 installs it first.)
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$SHARED_CACHE
URI=qemu:///system

start_nodeadm_server
failing_nodeadm_mirror
OUT=$T/images
FLAGS="--os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags)"

# only_build_logs DIR [NAME...] — DIR holds nothing but build logs (and NAMEs)
only_build_logs() {
	_d=$1
	shift
	_left=$(ls -A "$_d" 2>/dev/null | grep -v '\.build\.log$' || true)
	for _n in "$@"; do _left=$(echo "$_left" | grep -v -x -- "$_n" || true); done
	[ -z "$_left" ] || die "left in $_d: $_left"
}

# wait_line LOG PATTERN SECONDS — until LOG has PATTERN (the build still running)
wait_line() {
	_end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$_end" ]; do
		grep -q -- "$2" "$1" && return 0
		kill -0 "$B" 2>/dev/null || { tail -n 20 "$1"; die "the build ended before '$2'"; }
		sleep 0.2
	done
	tail -n 20 "$1"
	die "no '$2' within $3 s"
}

# term_build LOG — SIGTERM to the build; it must exit 130 within 60 s
term_build() {
	kill -TERM "$B"
	_end=$(($(date +%s) + 60))
	while kill -0 "$B" 2>/dev/null && [ "$(date +%s)" -lt "$_end" ]; do sleep 1; done
	kill -0 "$B" 2>/dev/null && die "the build still runs 60 s after SIGTERM"
	grep -q "left running\|work files kept" "$1" && die "an interrupted build kept its VM or files"
	wait "$B"
	_rc=$?
	CHILD_PIDS=""
	tail -n 5 "$1"
	[ "$_rc" = 130 ] || die "expected exit 130 after SIGTERM, got $_rc"
	grep -q "interrupted" "$1" || die "the build does not say it was interrupted"
}

say "1. --on-error keep: nodeadm fails, the VM and the work files stay"
# shellcheck disable=SC2086
run_build "$T/keep.out" $FLAGS $FAILING_NODEADM_FLAGS --on-error keep --output-dir "$OUT"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc"
grep -q "provision step 'nodeadm install' failed with exit status 1" "$T/keep.out" || die "the failing step is not named"
KEPT=$(sed -n 's/.*--on-error keep: work files kept in \(.*\)$/\1/p' "$T/keep.out")
DOM=$(sed -n 's/.*--on-error keep: VM \([^ ]*\) left running.*/\1/p' "$T/keep.out")
LOGIN=$(sed -n 's/.*; enter it with: \(ssh .*\) (end it: virsh .*/\1/p' "$T/keep.out")
[ -n "$KEPT" ] && [ -n "$DOM" ] && [ -n "$LOGIN" ] || die "the warnings do not say what was kept and how to enter it"
case "$DOM" in hnbuild-ubuntu24-amd64-*-provision) ;; *) die "the kept VM is not the build's provision VM: $DOM" ;; esac
# End it whatever happens below: it is this test's VM.
trap 'virsh -c $URI destroy "$DOM" > /dev/null 2>&1; cleanup' EXIT
[ "$(virsh -c $URI domstate "$DOM" 2>&1)" = running ] || die "the kept VM $DOM is not running"
[ -d "$KEPT" ] || die "the kept work directory $KEPT is missing"
[ -s "$KEPT/console-provision.log" ] || die "no provision console log in $KEPT"
[ "$(stat -c %a "$KEPT/build-key")" = 600 ] || die "the kept build key is missing or not private"
# shellcheck disable=SC2086
timeout 60 $LOGIN -o BatchMode=yes -o ConnectTimeout=20 'cat /etc/fixture-arch; sudo -n true && echo root-ok' \
	> "$T/login.out" 2>&1 || { cat "$T/login.out"; die "the printed ssh command does not log in to the kept VM"; }
grep -q '^amd64$' "$T/login.out" && grep -q '^root-ok$' "$T/login.out" || { cat "$T/login.out"; die "the login did not reach the build user with sudo"; }
FB=$(ls -d "$OUT"/*.failure 2>/dev/null)
check_failure_bundle "$FB" provision "$T/keep.out" screenshot.png console-provision.log domain.xml
grep -q "installer-logs/ .*the VM is kept running" "$FB/README" || die "the bundle does not say why the disk was not read"
only_build_logs "$OUT" "$(basename "$FB")"
rm -rf "$FB"
virsh -c $URI destroy "$DOM" > /dev/null || die "cannot end the kept VM"
rm -rf "$KEPT"
no_domains
no_temp_files

say "2. SIGTERM while a provision step runs, even with --on-error keep: exit 130, nothing left"
cat > "$T/slow.sh" <<'EOS'
#!/bin/sh
echo "slow step started"
sleep 600
EOS
# shellcheck disable=SC2086
start_build "$T/term-provision.out" $FLAGS $NODEADM_FLAGS --provision-script "$T/slow.sh" \
	--on-error keep --output-dir "$OUT"
wait_line "$T/term-provision.out" "slow step started" 600
my_domains | grep -q -- "-provision$" || die "no provision VM while a step runs"
term_build "$T/term-provision.out"
no_domains
no_temp_files
only_build_logs "$OUT"

say "3. SIGTERM while the export writes: exit 130, no output and no temporary"
# An earlier build's files in the same output directory must stay as they are.
printf 'an earlier image\n' > "$OUT/earlier.raw"
(cd "$OUT" && sha256sum earlier.raw > SHA256SUMS)
printf '{\n  "builds": [\n  ],\n  "last_run_uuid": "earlier"\n}\n' > "$OUT/manifest.json"
before=$(cd "$OUT" && sha256sum earlier.raw SHA256SUMS manifest.json)
# shellcheck disable=SC2086
start_build "$T/term-export.out" $FLAGS $NODEADM_FLAGS --format qcow2,raw,ova --output-dir "$OUT"
# The OVA is read through a raw copy of the disk, written first (a
# temporary too); the signal goes as the first image starts.
wait_line "$T/term-export.out" "Writing the qcow2 image" 900
ls -A "$OUT" > "$T/during-export"
term_build "$T/term-export.out"
grep -q '\.tmp-' "$T/during-export" || { cat "$T/during-export"; die "no temporary output while the export wrote (the interrupt proves nothing)"; }
no_domains
no_temp_files
only_build_logs "$OUT" earlier.raw SHA256SUMS manifest.json
[ "$(cd "$OUT" && sha256sum earlier.raw SHA256SUMS manifest.json)" = "$before" ] ||
	die "the interrupted export changed the earlier build's files"
say "PASS"
