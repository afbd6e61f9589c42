#!/bin/sh
# e2e-cost: 395
# e2e-after: 24 — it builds on 20's cached base, and its prune would take it from 24
# 26-cache-resume-matrix.sh — the installed-base cache end to end, on the
# base that 20-build-ubuntu-amd64.sh stored in the suite's cache:
#  0. a nodeadm mirror publishing a wrong digest: exit 3 naming it, and the
#     disk never boots;
#  1. a build whose provisioning fails (a nodeadm mirror serving a nodeadm
#     that exits 1) reuses the cached base (no install), fails with exit 1
#     naming the step and its output, and leaves no VM, temp file or image;
#  2. the same build with --resume, the right nodeadm and a version matrix
#     (--k8s-version 1.31,1.32; 1.29,1.31,1.32 in `make check-full`) says
#     where it resumes and makes one image per version from the one install
#     (the one 20 made its 1.30 image from), each with its own Kubernetes
#     version; the cached base's bytes are unchanged and hold no canary (a
#     proxy password, given through the environment);
#  3. validate names the key (cached), and any change of a key input (disk
#     size, firmware, install data, the ISO's digest, arch) is a miss;
#  4. `cache list` shows the base; `cache prune --older-than 1d` keeps it,
#     `cache prune` removes it.
# Without 20's base (run alone), step 0 installs it first.
. "$(dirname "$0")/lib.sh"
export XDG_CACHE_HOME=$SHARED_CACHE
BASES=$SHARED_CACHE/hnbuild/bases

start_nodeadm_server
failing_nodeadm_mirror

OUT=$T/images
FLAGS="--os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags)"
# shellcheck disable=SC2086
say "validate: the key 20 stored"
expect_rc 0 "$HNBUILD" validate $FLAGS
grep -o 'installed-base: .*' "$T/out" > "$T/key"
KEY=$(sed -n 's/^installed-base: \([0-9a-f]\{64\}\) .*/\1/p' "$T/key")
[ -n "$KEY" ] || { cat "$T/key"; die "validate printed no installed-base key"; }
cat "$T/key"

say "0. a plain-http mirror without a digest to trust: exit 2, nothing fetched"
# shellcheck disable=SC2086
expect_rc 2 "$HNBUILD" build $FLAGS --nodeadm-url "$NODEADM_URL" --output-dir "$OUT"
grep -q "^hnbuild: error: --nodeadm-url: '$NODEADM_URL' is plain http, so the .sha256 beside it proves nothing" "$T/out" ||
	die "a plain-http nodeadm without --nodeadm-sha256 was not refused"
say "0. a nodeadm whose digest does not match: exit 3, before anything boots"
# shellcheck disable=SC2086
run_build "$T/digest.out" $FLAGS --nodeadm-url "$NODEADM_URL" \
	--nodeadm-sha256 0000000000000000000000000000000000000000000000000000000000000000 --output-dir "$OUT"
rc=$?
[ $rc = 3 ] || die "expected exit 3, got $rc"
grep -q "^hnbuild: error: Checksum mismatch for nodeadm: expected sha256:0000000000000000000000000000000000000000000000000000000000000000, got sha256:" \
	"$T/digest.out" || die "the digest mismatch is not the error"
grep -q "waiting for SSH\|granted the build key" "$T/digest.out" && die "the guest was touched after a bad nodeadm digest"
no_domains

say "1. provisioning fails on a cached base"
# shellcheck disable=SC2086
run_build "$T/fail.out" $FLAGS $FAILING_NODEADM_FLAGS --output-dir "$OUT"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc"
grep -q "provision step 'nodeadm install' failed with exit status 1" "$T/fail.out" || die "the failing step is not named"
grep -q "nodeadm install |" "$T/fail.out" || die "the step's output is not shown"
# nothing in the output directory, hidden files included, but the build logs
left=$(ls -A "$OUT" 2>/dev/null | grep -v '\.build\.log$' | grep -v '\.failure$' || true)
[ -z "$left" ] || die "a failed build left files in the output directory: $left"
check_failure_bundle "$(ls -d "$OUT"/*.failure)" provision "$T/fail.out" console-provision.log \
	install-data/user-data installer-logs/installer
[ -s "$BASES/$KEY/disk.qcow2" ] || die "no cached base $KEY after the failed build"
no_domains
BASE_SUM=$(sha256sum "$BASES/$KEY/disk.qcow2" | cut -d' ' -f1)

if [ "${E2E_FULL:-0}" = 1 ]; then MATRIX="1.29 1.31 1.32"; else MATRIX="1.31 1.32"; fi
say "2. --resume with the matrix $MATRIX"
CANARY_PROXY="Proxy-Canary-Pw-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')"
# shellcheck disable=SC2086
HNBUILD_PROXY="http://builder:$CANARY_PROXY@proxy.example.internal:3128" run_build "$T/resume.out" $FLAGS \
	$NODEADM_FLAGS --resume --k8s-version "$(echo $MATRIX | tr ' ' ,)" --output-dir "$OUT" ||
	die "the resumed build failed with exit $?"
grep -q "resume: the install is done (cached base ${KEY%"${KEY#????????????????}"}); continuing with provision" "$T/resume.out" ||
	die "the resumed build does not say where it resumes"
[ "$(grep -c "install: cached base ${KEY%"${KEY#????????????????}"}" "$T/resume.out")" = "$(echo $MATRIX | wc -w)" ] ||
	die "the matrix's builds did not all use the cached base"
grep -q "installer powered off\|booting Ubuntu-Server" "$T/resume.out" && die "the resumed build installed again"
for v in $MATRIX; do
	img=$OUT/eks-hybrid-ubuntu24-amd64-k8s$v
	check_outputs "$img" qcow2
	check_tracker "$img.qcow2" "kubernetes=$v"
	qemu-img info "$img.qcow2" | grep -q '^backing file' && die "image $v still refers to the cached base"
done
check_clean "$OUT/eks-hybrid-ubuntu24-amd64-k8s1.32.qcow2"
[ "$(sha256sum "$BASES/$KEY/disk.qcow2" | cut -d' ' -f1)" = "$BASE_SUM" ] || die "the cached base changed"
grep -a -r -q -- "$CANARY_PROXY" "$SHARED_CACHE" && die "the proxy password reached the cache"
grep -q -- "$CANARY_PROXY" "$T/resume.out" "$OUT"/*.build.log && die "the proxy password reached the build output/log"
grep -q -- "$CANARY_PROXY" "$T/argv" && die "the proxy password reached a process's argv"
no_domains

say "3. validate: the same inputs hit, a changed input misses"
# shellcheck disable=SC2086
expect_rc 0 "$HNBUILD" validate $FLAGS --k8s-version 1.29
expect_out "installed-base: $KEY  # cached"
for change in "--disk-size 5G" "--firmware bios" "--late-command true"; do
	# shellcheck disable=SC2086
	expect_rc 0 "$HNBUILD" validate $FLAGS $change
	grep -q "installed-base: [0-9a-f]\{64\}  # not cached" "$T/out" || { cat "$T/out"; die "$change: not a miss"; }
	grep -q "$KEY" "$T/out" && die "$change: the key did not change"
done
# another ISO (the same bytes and one more sector): another digest
cp "$FIXTURES/ubuntu24-amd64.iso" "$T/other.iso" && head -c 2048 /dev/zero >> "$T/other.iso"
# shellcheck disable=SC2086
expect_rc 0 "$HNBUILD" validate --os ubuntu24 --arch amd64 --iso "$T/other.iso" --iso-checksum none $(test_build_flags)
grep -q "installed-base: [0-9a-f]\{64\}  # not cached" "$T/out" || { cat "$T/out"; die "another ISO: not a miss"; }
rm -f "$T/other.iso"
expect_rc 0 "$HNBUILD" validate --os ubuntu24 --arch arm64 $(iso_flags ubuntu24 arm64) $(test_build_flags)
grep -q "installed-base: [0-9a-f]\{64\}  # not cached" "$T/out" || { cat "$T/out"; die "arm64: not a miss"; }
expect_rc 0 "$HNBUILD" validate $FLAGS --no-cache
expect_out "installed-base: off  # --no-cache"

say "4. cache list and prune"
expect_rc 0 "$HNBUILD" cache list
expect_out "${KEY%"${KEY#????????????????}"} ubuntu24"
expect_rc 0 "$HNBUILD" cache prune --older-than 1d
expect_out "removed 0 installed bases"
[ -s "$BASES/$KEY/disk.qcow2" ] || die "prune --older-than 1d removed a base used just now"
expect_rc 2 "$HNBUILD" cache prune --max-size lots
expect_rc 0 "$HNBUILD" cache prune
expect_out "removed 1 installed base "
[ -e "$BASES/$KEY" ] && die "prune left the base"
[ "$(stat -c %a "$BASES")" = 700 ] || die "the cache directory is not private"
no_temp_files
say "PASS"
