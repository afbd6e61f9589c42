#!/bin/sh
# 26-provision-failure.sh — a provisioning step that fails (the fake nodeadm
# exits 1 when /etc/fake-nodeadm-fail exists, planted by a late-command)
# fails the build with exit 1, names the step, shows its output tail, and
# leaves no VM, temp file or output behind.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
OUT=$T/out
say "building with a nodeadm that will fail"
run_build "$T/build.out" --os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags) \
	--nodeadm-url "$NODEADM_URL" --late-command "touch /target/etc/fake-nodeadm-fail" --output-dir "$OUT"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc"
grep -q "provision step 'nodeadm install' failed with exit status 1" "$T/build.out" || die "the failing step is not named"
grep -q "nodeadm install |" "$T/build.out" || die "the step's output is not shown"
ls "$OUT"/*.qcow2 2>/dev/null && die "a failed build left an image"
no_domains
no_temp_files
say "PASS"
