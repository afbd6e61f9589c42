#!/bin/sh
# e2e-cost: 410
# 20-build-ubuntu-amd64.sh — hnbuild end to end on the Ubuntu-like 24.04
# amd64 fixture (UEFI): install, provision (fake nodeadm from a loopback
# mirror, proxy, a provision script), generalize, export all three formats,
# publish the OVA to vcsim as a template (`build --publish`).
# Proves the tracker, proxy drop-ins, digests, hygiene, the template's disk,
# and that no secret canary (activation code, vCenter password) reaches the
# image bytes, the build log, any process's argv or the installed-base cache.
# Leaves the image in build/e2e-images/ubuntu24-amd64 and the installed base
# in the shared cache ($SHARED_CACHE) for later tests.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
OUT=$IMAGES/ubuntu24-amd64
rm -rf "$OUT"
BASE=$OUT/eks-hybrid-ubuntu24-amd64-k8s1.30

CANARY_VS="Vs-Canary-Pw-$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')"

say "starting vcsim (the vCenter that --publish imports into)"
sh "$ROOT/tests/vcsim/build.sh" || die "cannot build tests/vcsim"
. "$ROOT/tests/vcsim/start.sh"
export VCSIM_USER=hnbuild-publisher@vsphere.local
# The simulator's password only in the simulator's environment: hnbuild gets
# it as VSPHERE_PASSWORD, and no tool hnbuild starts may inherit it.
VCSIM_PASSWORD="$CANARY_VS" VCSIM=$ROOT/build/vcsim vcsim_start "$T/sim" || die "cannot start vcsim"
BACKGROUND_PIDS="$BACKGROUND_PIDS $VCSIM_PID"
CANARY_ACT="Act-Canary-Code-77c2d4"
cat > "$T/provision.sh" <<EOS
#!/bin/sh
set -e
ACTIVATION_CODE='$CANARY_ACT'
mkdir -p /etc/hnbuild-test
test -n "\$ACTIVATION_CODE" && echo "provision script ran" > /etc/hnbuild-test/provisioned
# Where hnbuild put this script: a secret in it must never touch the disk.
echo "script-fs=\$(stat -f -c %T "\$0")" >> /etc/hnbuild-test/provisioned
# A user's script runs with the build's proxy in its environment.
echo "https-proxy=\${HTTPS_PROXY:-none} no-proxy=\${no_proxy:-none}" >> /etc/hnbuild-test/provisioned
EOS

say "building (hnbuild build --os ubuntu24 --arch amd64 --format qcow2,raw,ova)"
XDG_CACHE_HOME=$SHARED_CACHE VSPHERE_SERVER=$VCSIM_URL VSPHERE_USER=$VCSIM_USER VSPHERE_PASSWORD=$CANARY_VS \
	VSPHERE_DATACENTER=DC0 VSPHERE_CLUSTER=DC0_C0 VSPHERE_DATASTORE=LocalDS_0 VSPHERE_NETWORK=DC0_DVPG0 \
	VSPHERE_OUTPUT_FOLDER=Templates run_build "$T/build.out" --os ubuntu24 --arch amd64 \
	$(iso_flags ubuntu24 amd64) $(test_build_flags) $NODEADM_FLAGS --k8s-version 1.30 \
	--credential-provider iam --region eu-west-1 --proxy http://proxy.example.internal:3128 \
	--provision-script "$T/provision.sh" --format qcow2,raw,ova --output-dir "$OUT" \
	--publish --vsphere-ca-file "$VCSIM_CA" || die "build failed with exit $?"
say "build done"
check_outputs "$BASE" qcow2 raw ova
grep -q "install: stored the installed base in the cache" "$T/build.out" || die "the installed base was not cached"
grep -q "provision: granted the build key to 'hnbuild' offline" "$T/build.out" || die "the build key was not granted offline"

say "the build log holds the whole install console: the kernel's first line to the installer's last"
LOG=$BASE.build.log
[ -s "$LOG" ] || die "no build log $LOG"
say "hnbuild render with the build's flags writes the seed ISO's user-data and meta-data"
render_matches_build "$LOG" --os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags) \
	--k8s-version 1.30 --credential-provider iam --region eu-west-1 --proxy http://proxy.example.internal:3128 \
	--provision-script "$T/provision.sh" --format qcow2,raw,ova
# The kernel's "reboot: Power down" is the very last byte QEMU sends before it exits.
awk '/\[install console\].*Linux version/ {k = NR} /\[install console\].*subiquity\/Shutdown\/shutdown/ {s = NR}
	/\[install console\].*reboot: Power down/ {d = NR} /install: the installer powered off/ {p = NR}
	END {exit !(k && s && d && p && k < s && s < d && d < p)}' "$LOG" ||
	die "the build log lacks the install console's first or last lines (before the power-off)"
qemu-img compare -q "$BASE.qcow2" "$BASE.raw" || die "qcow2 and raw differ"

say "the template in vcsim holds the OVA's disk"
VCSIM_PASSWORD="$CANARY_VS" "$ROOT/build/vcsim" inspect -url "$VCSIM_URL" -path "/DC0/vm/Templates/$(basename "$BASE")" > "$T/vm.json" ||
	die "no template $(basename "$BASE") in vcsim's folder Templates"
cat "$T/vm.json"
vm() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$T/vm.json"; }
[ "$(vm 'd["template"]')" = True ] || die "vcsim: not marked as a template"
[ "$(vm '",".join(d["networks"])')" = DC0_DVPG0 ] || die "vcsim: the NIC is not on DC0_DVPG0"
mkdir "$T/ova"
tar -xf "$BASE.ova" -C "$T/ova" || die "cannot read the OVA"
cmp "$(vm 'd["disks"][0]["local_path"]')" "$T"/ova/*.vmdk || die "the template's disk differs from the OVA's VMDK"
rm -rf "$T/ova"

say "what nodeadm was asked (tracker), the proxy drop-ins, the provision script"
check_tracker "$BASE.qcow2" "kubernetes=1.30" "credential_provider=iam-ra" "containerd_source=distro" "region=eu-west-1"
for f in /etc/systemd/system/kubelet.service.d/http-proxy.conf \
	/usr/lib/systemd/system/containerd.service.d/http-proxy.conf /etc/apt/apt.conf.d/proxy.conf; do
	guest_file "$BASE.qcow2" "$f" | grep -q proxy.example.internal:3128 || die "proxy not configured in $f"
done
guest_file "$BASE.qcow2" /etc/hnbuild-test/provisioned > "$T/provisioned"
grep -q "provision script ran" "$T/provisioned" || die "provision script did not run"
grep -qx "script-fs=tmpfs" "$T/provisioned" ||
	die "the provision script (it holds a secret) was uploaded to a disk, not a tmpfs: $(cat "$T/provisioned")"
# The proxy each step ran with, in its environment: nodeadm downloads through
# it (the fake prints what Go's ProxyFromEnvironment would use), and so may a
# user's script. The default NO_PROXY keeps the node's own and IMDS addresses
# off the proxy.
NOPROXY=localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local
grep -qx "https-proxy=http://proxy.example.internal:3128 no-proxy=$NOPROXY" "$T/provisioned" ||
	die "the provision script did not run with the proxy in its environment: $(cat "$T/provisioned")"
grep -q "^  nodeadm install | .*Proxy from the environment: HTTPS_PROXY=http://proxy.example.internal:3128 NO_PROXY=$NOPROXY\"" \
	"$T/build.out" || die "nodeadm install did not run with the proxy in its environment"

say "hygiene and secret canaries (image bytes, build log, argv)"
check_clean "$BASE.qcow2"
check_canaries "$BASE.raw" "$T/build.out" "$OUT"/*.build.log -- "$CANARY_ACT" "$CANARY_VS"
for c in "$CANARY_ACT" "$CANARY_VS"; do
	grep -a -r -q -- "$c" "$SHARED_CACHE" && die "canary $c found in the installed-base cache"
done
# No build credential in the cached base: the key was granted to the overlay.
grep -a -r -q "hnbuild-build" "$SHARED_CACHE/hnbuild/bases" && die "a build key reached the cached base"
no_domains
no_temp_files
mark_run "$OUT" # 30 boots this image
say "PASS"
