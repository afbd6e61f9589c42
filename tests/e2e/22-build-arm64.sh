#!/bin/sh
# e2e-cost: 370
# 22-build-arm64.sh — hnbuild end to end for arm64 (aarch64 `virt`, AAVMF
# UEFI, TCG on this x86 host) on the Ubuntu-like fixture (and the RHEL-like
# one in `make check-full`):
# the arm64 nodeadm is fetched ({arch} in the mirror URL) and installed,
# and the image is clean. The build user's password (PKR_SSH_PASSWORD: its
# hash is in the install data, so the installed base stays out of the cache)
# and RH_PASSWORD are canaries that must reach nothing: not the image bytes,
# the log, any process's argv or the cache.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
mkdir -p "$T/www/arm64"
cp "$T/www/nodeadm" "$T/www/nodeadm.sha256" "$T/www/arm64/"
# The RHEL-like arm64 build repeats what 21 (RHEL, amd64) and the Ubuntu
# arm64 build cover; it runs in `make check-full`, to keep `make check`
# within CI's time.
OSES="ubuntu24"
[ "${E2E_FULL:-0}" = 1 ] && OSES="ubuntu24 rhel9"
for os in $OSES; do
	OUT=$IMAGES/$os-arm64
	rm -rf "$OUT"
	BASE=$OUT/eks-hybrid-$os-arm64-k8s1.31
	say "building $os arm64"
	PKR_SSH_PASSWORD=Ssh-Canary-Pw-5f1e9c RH_USERNAME=builder-account RH_PASSWORD=Rh-Canary-Arm-77 \
		run_build "$T/build-$os.out" --os $os --arch arm64 $(iso_flags $os arm64) $(test_build_flags) \
		--timeout 90m --nodeadm-url "http://127.0.0.1:$SERVER_PORT/{arch}/nodeadm" --nodeadm-sha256 "$NODEADM_SHA256" --format qcow2,raw \
		--output-dir "$OUT" || die "$os arm64 build failed with exit $?"
	check_outputs "$BASE" qcow2 raw
	grep -q "cache: no installed base from or into the cache: the install data hold the build user's password hash" \
		"$T/build-$os.out" || die "a build with PKR_SSH_PASSWORD did not keep out of the cache"
	[ -e "$XDG_CACHE_HOME/hnbuild/bases" ] && ls "$XDG_CACHE_HOME/hnbuild/bases" | grep -q . &&
		die "a build with PKR_SSH_PASSWORD stored an installed base"
	"$HNBUILD" inspect "$BASE.qcow2" > "$T/inspect-$os" 2>&1 || { cat "$T/inspect-$os"; die "inspect of $os arm64 failed"; }
	grep -q '^arch: *aarch64$' "$T/inspect-$os" || { cat "$T/inspect-$os"; die "the $os arm64 image is not aarch64"; }
	check_tracker "$BASE.qcow2" "kubernetes=1.31" "credential_provider=ssm"
	check_clean "$BASE.qcow2"
	check_canaries "$BASE.raw" "$T/build-$os.out" "$OUT"/*.build.log -- Ssh-Canary-Pw-5f1e9c Rh-Canary-Arm-77
	no_domains
done
no_temp_files
say "PASS"
