#!/bin/sh
# e2e-cost: 600
# 21-build-rhel-amd64-bios.sh — hnbuild end to end on the RHEL-like 9
# amd64 fixture with BIOS firmware: kickstart install, RHSM register and
# unregister (fake subscription-manager) through a proxy, nodeadm install
# with RHEL's defaults, generalize, qcow2 and raw. Then two builds on the
# base the first one cached (no install):
#   - nodeadm fails: the build fails naming the step, and the subscription is
#     still given back (unregister, then clean), nothing left in the output;
#   - registered with --rh-org and RH_ACTIVATION_KEY, Red Hat unreachable at
#     unregister: a loud warning, the clean step still runs, and the image
#     holds no identity.
# RH_PASSWORD and RH_ACTIVATION_KEY (the second registration) are canaries
# that must reach nothing: not the image bytes, the log, any process's argv
# or the cache.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
failing_nodeadm_mirror
OUT=$IMAGES/rhel9-amd64
rm -rf "$OUT"
BASE=$OUT/eks-hybrid-rhel9-amd64-k8s1.31
CANARY_RH="Rh-Canary-Pw-3a9d1b"
FLAGS="--os rhel9 --arch amd64 $(iso_flags rhel9 amd64) $(test_build_flags) --firmware bios"

say "building (hnbuild build --os rhel9 --arch amd64 --firmware bios)"
# shellcheck disable=SC2086
RH_USERNAME=builder-account RH_PASSWORD=$CANARY_RH run_build "$T/build.out" $FLAGS $NODEADM_FLAGS --proxy http://proxy.example.internal:3128 \
	--format qcow2,raw --output-dir "$OUT" || die "build failed with exit $?"
say "build done"
check_outputs "$BASE" qcow2 raw
say "hnbuild render with the build's flags writes the seed ISO's ks.cfg"
# shellcheck disable=SC2086
RH_USERNAME=builder-account RH_PASSWORD=$CANARY_RH render_matches_build "$BASE.build.log" $FLAGS \
	--proxy http://proxy.example.internal:3128 --format qcow2,raw
grep -q "install: stored the installed base in the cache" "$T/build.out" || die "the installed base was not cached"
# The steps' own output (the fake subscription-manager prints what the real
# one does), not hnbuild's line announcing the step.
grep -q "^  subscription-manager register | The system has been registered with ID: " "$T/build.out" ||
	die "RHSM registration did not run"
grep -q "^  subscription-manager unregister | System has been unregistered\.$" "$T/build.out" ||
	die "RHSM unregistration did not run"
grep -q "^  subscription-manager clean | rhsm: local subscription data removed$" "$T/build.out" ||
	die "the RHSM clean step did not finish"
grep -q "RHSM unregister failed" "$T/build.out" && die "a warning about an unregister that worked"
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
check_canaries "$BASE.raw" "$T/build.out" "$OUT"/*.build.log -- "$CANARY_RH"
# shellcheck disable=SC2046
absent "$CANARY_RH" -a $(find "$XDG_CACHE_HOME/hnbuild" -type f) || die "canary $CANARY_RH found in the installed-base cache"
no_domains
mark_run "$OUT" # 30 boots this image

say "nodeadm fails on RHEL: the build fails, the subscription is still given back"
# shellcheck disable=SC2086
RH_USERNAME=builder-account RH_PASSWORD=$CANARY_RH run_build "$T/fail.out" $FLAGS $FAILING_NODEADM_FLAGS --output-dir "$T/fail"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc"
grep -q "install: cached base" "$T/fail.out" || die "the failing build did not reuse the cached base"
grep -q "^hnbuild: error: provision step 'nodeadm install' failed with exit status 1" "$T/fail.out" ||
	die "the failing step is not the error"
# unregister and clean ran after the failure, in that order
awk '/^  nodeadm install \| .*fake nodeadm failure requested/ {f = NR}
	/^  subscription-manager unregister \| System has been unregistered\.$/ {u = NR}
	/^  subscription-manager clean \| rhsm: local subscription data removed$/ {c = NR}
	END {exit !(f && u && c && f < u && u < c)}' "$T/fail.out" ||
	die "unregister and clean did not run after the failed nodeadm install"
FB=$T/fail/eks-hybrid-rhel9-amd64-k8s1.31.failure
left=$(ls -A "$T/fail" 2>/dev/null | grep -v '\.build\.log$' | grep -v -x "$(basename "$FB")" || true)
[ -z "$left" ] || die "a failed build left files in the output directory: $left"
say "its failure bundle: screen, consoles, domain, kickstart, anaconda's logs off the disk, no secret"
check_failure_bundle "$FB" provision "$T/fail.out" screenshot.png console-provision.log domain.xml \
	install-data/ks.cfg installer-logs/anaconda timings.txt
grep -a -r -q -- "$CANARY_RH" "$FB" && die "canary $CANARY_RH found in the failure bundle"
no_domains

say "Red Hat unreachable at unregister (registered with an activation key): a warning, the clean step, no identity in the image"
CANARY_KEY="Act-Key-Canary-6b2e0f"
cat > "$T/unreachable.sh" <<'EOS'
#!/bin/sh
# the fake subscription-manager's next unregister fails as an unreachable server does
touch /etc/fixture-rhsm-unreachable
EOS
# shellcheck disable=SC2086
RH_ACTIVATION_KEY=$CANARY_KEY run_build "$T/unreach.out" $FLAGS --rh-org 7654321 $NODEADM_FLAGS \
	--provision-script "$T/unreachable.sh" --format qcow2,raw --output-dir "$T/unreach" ||
	die "a failed unregister failed the build (exit $?)"
grep -q "^  subscription-manager register | The system has been registered with ID: " "$T/unreach.out" ||
	die "RHSM registration with an activation key did not run"
grep -q "^  subscription-manager unregister | Unable to reach the server at subscription.rhsm.redhat.com:443/subscription: " \
	"$T/unreach.out" || die "the unregister did not fail as set up"
grep -q "^warning: provision: RHSM unregister failed, so this build's system stays registered with Red Hat" \
	"$T/unreach.out" || die "no warning about the failed unregister"
grep -q "^  subscription-manager clean | rhsm: local subscription data removed$" "$T/unreach.out" ||
	die "the clean step did not run after the failed unregister"
UB=$T/unreach/eks-hybrid-rhel9-amd64-k8s1.31
check_outputs "$UB" qcow2 raw
check_canaries "$UB.raw" "$T/unreach.out" "$T/unreach"/*.build.log -- "$CANARY_KEY"
guest_ls "$UB.qcow2" /etc/pki/consumer | grep -q . && die "an RHSM identity is left in the image"
guest_ls "$UB.qcow2" /etc/pki/entitlement | grep -q . && die "an entitlement is left in the image"
guest_ls "$UB.qcow2" /etc | grep -qx fixture-rhsm-unreachable && die "the test's trigger file is left in the image"
no_domains
no_temp_files
say "PASS"
