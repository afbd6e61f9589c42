#!/bin/sh
# 21-build-rhel-amd64-bios.sh — hnbuild end to end on the RHEL-like 9
# amd64 fixture with BIOS firmware: kickstart install, RHSM register and
# unregister (fake subscription-manager) through a proxy, nodeadm install
# with RHEL's defaults, generalize, qcow2. RH_PASSWORD and the build user's password
# (PKR_SSH_PASSWORD, which keeps the installed base out of the cache: its
# hash is in the install data) are canaries that must reach nothing: not the
# image bytes, the log, any process's argv or the cache.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
OUT=$IMAGES/rhel9-amd64
rm -rf "$OUT"
BASE=$OUT/eks-hybrid-rhel9-amd64-k8s1.31
CANARY_RH="Rh-Canary-Pw-3a9d1b"
CANARY_PW="Ssh-Canary-Pw-5f1e9c"

say "building (hnbuild build --os rhel9 --arch amd64 --firmware bios)"
PKR_SSH_PASSWORD=$CANARY_PW RH_USERNAME=builder-account RH_PASSWORD=$CANARY_RH run_build "$T/build.out" --os rhel9 --arch amd64 \
	$(iso_flags rhel9 amd64) $(test_build_flags) --firmware bios --nodeadm-url "$NODEADM_URL" \
	--proxy http://proxy.example.internal:3128 --format qcow2,raw --output-dir "$OUT" || die "build failed with exit $?"
say "build done"
check_outputs "$BASE" qcow2 raw
grep -q "cache: no installed base from or into the cache: the install data hold the build user's password hash" \
	"$T/build.out" || die "a build with PKR_SSH_PASSWORD did not keep out of the cache"
[ -e "$XDG_CACHE_HOME/hnbuild/bases" ] && ls "$XDG_CACHE_HOME/hnbuild/bases" | grep -q . &&
	die "a build with PKR_SSH_PASSWORD stored an installed base"
# The steps' own output (the fake subscription-manager prints what the real
# one does), not hnbuild's line announcing the step.
grep -q "^  subscription-manager register | The system has been registered with ID: " "$T/build.out" ||
	die "RHSM registration did not run"
grep -q "^  subscription-manager unregister | System has been unregistered\.$" "$T/build.out" ||
	die "RHSM unregistration did not run"
grep -q "^  subscription-manager unregister | rhsm: unregistered and cleaned$" "$T/build.out" ||
	die "the unregister step did not finish"
# The proxy in every step's environment: subscription-manager reaches Red Hat
# through it both ways (the fake prints the route rhsm's get_env_proxy_info
# would take), dnf through dnf.conf's proxy=, nodeadm through Go's.
for step in register unregister; do
	grep -q "^  subscription-manager $step | fixture: reaching subscription.rhsm.redhat.com through the proxy proxy.example.internal:3128 (HTTPS_PROXY)\$" \
		"$T/build.out" || die "subscription-manager $step did not go through the proxy"
done
grep -q "^  subscription-manager register | fixture: dnf downloads through the proxy http://proxy.example.internal:3128\$" \
	"$T/build.out" || die "dnf did not download through the proxy"
grep -q "^  nodeadm install | .*Proxy from the environment: HTTPS_PROXY=http://proxy.example.internal:3128 NO_PROXY=" \
	"$T/build.out" || die "nodeadm install did not run with the proxy in its environment"
guest_file "$BASE.qcow2" /etc/dnf/dnf.conf | grep -qx "proxy=http://proxy.example.internal:3128" ||
	die "the image's dnf.conf lacks the proxy"
check_tracker "$BASE.qcow2" "kubernetes=1.31" "credential_provider=ssm" "containerd_source=docker" "os=rhel"
guest_ls "$BASE.qcow2" /etc/pki/consumer | grep -q . && die "an RHSM identity is left in the image"
guest_file "$BASE.qcow2" /etc/fstab | grep -qw swap && die "swap in /etc/fstab (nodeadm init refuses swap)"
check_clean "$BASE.qcow2"
check_canaries "$BASE.raw" "$T/build.out" "$OUT"/*.build.log -- "$CANARY_RH" "$CANARY_PW"
no_domains
no_temp_files
say "PASS"
