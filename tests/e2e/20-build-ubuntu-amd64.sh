#!/bin/sh
# 20-build-ubuntu-amd64.sh — hnbuild end to end on the Ubuntu-like 24.04
# amd64 fixture (UEFI): install, provision (fake nodeadm from a loopback
# mirror, proxy, a provision script), generalize, export all three formats.
# Proves the tracker, proxy drop-ins, digests, hygiene, and that no secret
# canary reaches the image bytes, the build log or any process's argv.
# Leaves the image in build/e2e-images/ubuntu24-amd64 for later tests.
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
OUT=$IMAGES/ubuntu24-amd64
rm -rf "$OUT"
BASE=$OUT/eks-hybrid-ubuntu24-amd64-k8s1.30

CANARY_PW="Ssh-Canary-Pw-5f1e9c"
CANARY_ACT="Act-Canary-Code-77c2d4"
cat > "$T/provision.sh" <<EOS
#!/bin/sh
set -e
ACTIVATION_CODE='$CANARY_ACT'
mkdir -p /etc/hnbuild-test
test -n "\$ACTIVATION_CODE" && echo "provision script ran" > /etc/hnbuild-test/provisioned
EOS

say "building (hnbuild build --os ubuntu24 --arch amd64 --format qcow2,raw,ova)"
PKR_SSH_PASSWORD=$CANARY_PW "$HNBUILD" build --os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) \
	$(test_build_flags) --nodeadm-url "$NODEADM_URL" --k8s-version 1.30 --credential-provider iam \
	--region eu-west-1 --proxy http://proxy.example.internal:3128 --provision-script "$T/provision.sh" \
	--format qcow2,raw,ova --output-dir "$OUT" > "$T/build.out" 2>&1 &
BUILD_PID=$!
CHILD_PIDS=$BUILD_PID
# Watch every process's argv while the build runs.
: > "$T/argv"
while kill -0 $BUILD_PID 2>/dev/null; do
	ps -eo args >> "$T/argv" 2>/dev/null
	sleep 1
done
wait $BUILD_PID
rc=$?
CHILD_PIDS=""
tail -n 25 "$T/build.out"
[ $rc = 0 ] || die "build failed with exit $rc"
say "build done"

for ext in qcow2 raw ova; do
	[ -s "$BASE.$ext" ] || die "missing output $BASE.$ext"
done
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match the outputs"
[ -s "$OUT/manifest.json" ] || die "no manifest.json"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); assert m' "$OUT/manifest.json" || die "manifest.json is not JSON"
qemu-img compare -q "$BASE.qcow2" "$BASE.raw" || die "qcow2 and raw differ"

say "checking what nodeadm was asked (tracker) and the proxy drop-ins"
guest_file "$BASE.qcow2" /opt/nodeadm/tracker > "$T/tracker" || die "no /opt/nodeadm/tracker in the image"
cat "$T/tracker"
for want in 1.30 iam-ra distro eu-west-1; do
	grep -q -- "$want" "$T/tracker" || die "tracker lacks '$want'"
done
for f in /etc/systemd/system/kubelet.service.d/http-proxy.conf \
	/usr/lib/systemd/system/containerd.service.d/http-proxy.conf /etc/apt/apt.conf.d/proxy.conf; do
	guest_file "$BASE.qcow2" "$f" | grep -q proxy.example.internal:3128 || die "proxy not configured in $f"
done
guest_file "$BASE.qcow2" /etc/hnbuild-test/provisioned | grep -q "provision script ran" || die "provision script did not run"

say "hygiene: machine-id empty, no host keys, no installer copies, no build user"
[ -z "$(guest_file "$BASE.qcow2" /etc/machine-id)" ] || die "/etc/machine-id is not empty"
virt-ls -a "$BASE.qcow2" /etc/ssh 2>/dev/null | grep -q ssh_host_ && die "SSH host keys left in the image"
virt-ls -a "$BASE.qcow2" /var/log 2>/dev/null | grep -qx installer && die "/var/log/installer left in the image"
guest_file "$BASE.qcow2" /etc/passwd | grep -q '^hnbuild:' && die "build user left in /etc/passwd"

say "secret canaries: image bytes, build log, argv"
for c in "$CANARY_PW" "$CANARY_ACT"; do
	grep -a -q -- "$c" "$BASE.raw" && die "canary $c found in the image bytes"
	grep -q -- "$c" "$T/build.out" "$OUT"/*.build.log && die "canary $c found in the build output/log"
	grep -q -- "$c" "$T/argv" && die "canary $c found in a process's argv"
done
no_domains
no_temp_files
say "PASS"
