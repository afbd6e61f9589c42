#!/bin/sh
# e2e-cost: 550
# e2e-after: 20 21
# 30-boot-and-join.sh — the image built by 20-build-ubuntu-amd64.sh boots
# alone (a copy-on-write overlay; the shared image is only read):
#  1. with a NoCloud seed made from `hnbuild userdata` output: cloud-init
#     writes the NodeConfig and the fake `nodeadm init` runs with it;
#  2. with neither a seed nor a NodeConfig the first-boot unit does nothing;
#     then, a plain /etc/eks/nodeadm/nodeConfig.yaml on that node and no
#     seed: the first-boot unit runs `nodeadm init`, once.
#  3. the RHEL image, as on vSphere: guestinfo from `hnbuild userdata
#     --format guestinfo` reaches cloud-init's VMware datasource.
# Each boot gets a new machine-id, a login prompt and SSH host keys.
. "$(dirname "$0")/lib.sh"

BASE=${IMAGE:-$IMAGES/ubuntu24-amd64/eks-hybrid-ubuntu24-amd64-k8s1.30.qcow2}
[ -s "$BASE" ] || die "no image at $BASE: run tests/e2e/20-build-ubuntu-amd64.sh first"
[ -n "${IMAGE:-}" ] || require_run "$(dirname "$BASE")" tests/e2e/20-build-ubuntu-amd64.sh

# boot OVERLAY CONSOLE [SEED [FIRMWARE [GUESTINFO]]] — boot (UEFI unless
# FIRMWARE is bios) until cloud-init/nodeadm settle, then stop. With
# GUESTINFO, a directory of files named guestinfo.KEY, the machine shows
# VMware's DMI (and no hypervisor CPUID bit, so systemd-detect-virt goes by
# DMI and says vmware) and hands each file to the guest through fw_cfg, where
# the stand-in vmware-rpctool reads it (tests/fixtures/guest/vmware-rpctool).
boot() {
	_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
	_fw="-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,file=$T/vars.fd"
	[ "${4:-uefi}" = bios ] && _fw=""
	_seed=""
	[ -n "${3:-}" ] && _seed="-drive if=none,id=cd0,media=cdrom,readonly=on,file=$3 -device ide-cd,drive=cd0,bus=ide.0"
	_cpu=max _gi=""
	if [ -n "${5:-}" ]; then
		_cpu=max,hypervisor=off
		for _f in "$5"/guestinfo.*; do _gi="$_gi -fw_cfg name=opt/${_f##*/},file=$_f"; done
	fi
	# shellcheck disable=SC2086
	qemu-system-x86_64 -accel tcg -M q35 -cpu $_cpu -m 2048 -smp 2 $_fw $_seed $_gi \
		${5:+-smbios "type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform"} \
		-drive if=none,id=hd0,format=qcow2,file="$1" -device virtio-blk-pci,drive=hd0 \
		-netdev user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$_port-:22 -device virtio-net-pci,netdev=n0 \
		-display none -vga none -monitor none -no-reboot -serial file:"$2" &
	_q=$!
	CHILD_PIDS=$_q
	say "booted $1 (qemu pid $_q); waiting for a login prompt and the settle marker"
	_ok=""
	_end=$(($(date +%s) + ${BOOT_LIMIT:-900}))
	while [ "$(date +%s)" -lt $_end ]; do
		if grep -q "login:" "$2" 2>/dev/null && grep -q "hnbuild-test: nodeadm settled" "$2" 2>/dev/null; then
			_ok=1
			break
		fi
		kill -0 $_q 2>/dev/null || break
		sleep 1
	done
	# SSH answers (host keys are made at this boot: RSA keys take a while under TCG).
	_banner=""
	_end=$(($(date +%s) + 240))
	[ -n "$_ok" ] && say "settled; waiting for the SSH banner"
	while [ -n "$_ok" ] && [ "$(date +%s)" -lt $_end ]; do
		_banner=$(timeout 20 python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $_port), 5); s.settimeout(5); print(s.recv(64).decode(errors='replace'))" 2>/dev/null)
		case "$_banner" in SSH-2.0-*) break ;; esac
		sleep 3
	done
	stop_pid $_q
	CHILD_PIDS=""
	say "qemu stopped"
	[ -n "$_ok" ] || { tail -n 40 "$2"; die "the image did not reach a login prompt with nodeadm settled"; }
	case "$_banner" in SSH-2.0-*) ;; *) die "no SSH banner on the forwarded port (got '$_banner')" ;; esac
}

# A unit in the overlay that prints a marker on the console once the
# first-boot nodeadm work is over (whichever path ran it), so the test
# knows when to look. It is added to the test's overlay only, in the same
# libguestfs launch as the guestfish commands EXTRA.
# add_settle_marker OVERLAY [EXTRA]
add_settle_marker() {
	cat > "$T/settle.service" <<'EOU'
[Unit]
Description=hnbuild test: report when nodeadm init work has settled
DefaultDependencies=no
After=cloud-final.service hnbuild-nodeadm-init.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'sync; echo "hnbuild-test: nodeadm settled" > /dev/ttyS0'
[Install]
WantedBy=multi-user.target
EOU
	guest_edit "$1" <<EOG
upload $T/settle.service /etc/systemd/system/settle.service
ln-sf /etc/systemd/system/settle.service /etc/systemd/system/multi-user.target.wants/settle.service
${2:-}
EOG
}

say "1. cloud-init path: NoCloud seed from hnbuild userdata"
printf 'Act-Canary-Join-0123456789abcdef\n' > "$T/code"
"$HNBUILD" userdata --cluster e2e-cluster --region us-west-2 --ssm-activation-code-file "$T/code" \
	--ssm-activation-id 0b7e0a3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b --node-name node-a --format files \
	--output-dir "$T/ud" > "$T/ud.out" 2>&1 || { cat "$T/ud.out"; die "hnbuild userdata failed"; }
xorriso -as mkisofs -quiet -V CIDATA -J -r -o "$T/seed.iso" "$T/ud/node-a" 2>/dev/null || die "cannot make the seed"
qemu-img create -q -f qcow2 -b "$BASE" -F qcow2 "$T/a.qcow2"
add_settle_marker "$T/a.qcow2"
boot "$T/a.qcow2" "$T/a.console" "$T/seed.iso"
guest_file "$T/a.qcow2" /opt/nodeadm/tracker > "$T/tracker-a"
grep "init" "$T/tracker-a" | grep -q "e2e-cluster" || { cat "$T/tracker-a"; die "nodeadm init did not run with the cluster from hnbuild userdata"; }
# cloud-init ran the join; the first-boot unit, which starts after it, must not join again
[ "$(grep -c "command=init" "$T/tracker-a")" = 1 ] || { cat "$T/tracker-a"; die "nodeadm init ran more than once"; }
[ -n "$(guest_file "$T/a.qcow2" /etc/machine-id)" ] || die "no new machine-id after boot"
guest_file "$T/a.qcow2" /etc/hostname | grep -q node-a || die "hostname not set from the metadata"
M1=$(guest_file "$T/a.qcow2" /etc/machine-id)

say "2. the first-boot unit: no NodeConfig and no seed, it does nothing"
qemu-img create -q -f qcow2 -b "$BASE" -F qcow2 "$T/b.qcow2"
add_settle_marker "$T/b.qcow2"
boot "$T/b.qcow2" "$T/b0.console"
guest_file "$T/b.qcow2" /opt/nodeadm/tracker > "$T/tracker-b0" || die "no nodeadm tracker in the image"
grep -q "command=install" "$T/tracker-b0" || { cat "$T/tracker-b0"; die "the tracker does not hold nodeadm install"; }
grep -q "command=init" "$T/tracker-b0" && { cat "$T/tracker-b0"; die "nodeadm init ran without a NodeConfig"; }
# the script's own lines (user-data/templates/nodeadm-init.sh), not the
# unit's description, which systemd may print when it skips the unit
grep -q "nodeadm init succeeded\|nodeadm init failed\|nodeadm init already ran" "$T/b0.console" &&
	die "the first-boot script ran without a NodeConfig"

say "2b. a plain NodeConfig file on that node, no seed: the first-boot unit joins"
cat > "$T/nodeConfig.yaml" <<'EOC'
apiVersion: node.eks.aws/v1alpha1
kind: NodeConfig
spec:
  cluster:
    name: file-cluster
    region: eu-central-1
  hybrid:
    ssm:
      activationCode: Act-Canary-File-0123456789abcdef
      activationId: 0b7e0a3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b
EOC
add_settle_marker "$T/b.qcow2" "mkdir-p /etc/eks/nodeadm
upload $T/nodeConfig.yaml /etc/eks/nodeadm/nodeConfig.yaml"
boot "$T/b.qcow2" "$T/b.console"
guest_file "$T/b.qcow2" /opt/nodeadm/tracker > "$T/tracker-b"
grep "init" "$T/tracker-b" | grep -q "file-cluster" || { cat "$T/tracker-b"; tail -n 30 "$T/b.console"; die "the first-boot unit did not run nodeadm init"; }
[ "$(grep -c "command=init" "$T/tracker-b")" = 1 ] || { cat "$T/tracker-b"; die "nodeadm init ran more than once"; }
# the line step 2 must not see is there when the script runs
grep -q "nodeadm init succeeded" "$T/b.console" || die "the first-boot script's line is not on the console"
M2=$(guest_file "$T/b.qcow2" /etc/machine-id)
[ -n "$M2" ] && [ "$M1" != "$M2" ] || die "clones share a machine-id ($M1 / $M2)"

RHEL=${RHEL_IMAGE:-$IMAGES/rhel9-amd64/eks-hybrid-rhel9-amd64-k8s1.31.qcow2}
[ -s "$RHEL" ] || die "no RHEL image at $RHEL: run tests/e2e/21-build-rhel-amd64-bios.sh first"
[ -n "${RHEL_IMAGE:-}" ] || require_run "$(dirname "$RHEL")" tests/e2e/21-build-rhel-amd64-bios.sh
say "3. the RHEL-like image (BIOS) on vSphere: guestinfo from hnbuild userdata --format guestinfo"
# The image's own vmware-rpctool (open-vm-tools, which hnbuild installs on
# amd64) is what cloud-init's VMware datasource needs; without it ds-identify
# never enables the datasource. The test then swaps in the stand-in for it,
# because QEMU has no VMware backdoor to answer the real one.
guest_file "$RHEL" /var/lib/dpkg/info/open-vm-tools.list > "$T/ovt.list" ||
	die "open-vm-tools is not installed in the RHEL image"
grep -qx /usr/bin/vmware-rpctool "$T/ovt.list" || die "open-vm-tools in the image has no /usr/bin/vmware-rpctool"
"$HNBUILD" userdata --os rhel --cluster rhel-cluster --region us-east-2 --ssm-activation-code-file "$T/code" \
	--ssm-activation-id 0b7e0a3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b --node-name node-r --format guestinfo \
	--output-dir "$T/gi" > "$T/gi.out" 2>&1 || { cat "$T/gi.out"; die "hnbuild userdata --format guestinfo failed"; }
# one file per guestinfo key, as `govc vm.change -e KEY=VALUE` would set it
mkdir -p "$T/gikeys"
while IFS= read -r _l; do
	printf '%s' "${_l#*=}" > "$T/gikeys/${_l%%=*}"
done < "$T/gi/node-r.guestinfo"
for _k in guestinfo.userdata guestinfo.userdata.encoding guestinfo.metadata guestinfo.metadata.encoding; do
	[ -s "$T/gikeys/$_k" ] || die "hnbuild's guestinfo output has no $_k"
done
qemu-img create -q -f qcow2 -b "$RHEL" -F qcow2 "$T/r.qcow2"
add_settle_marker "$T/r.qcow2" "rename /usr/bin/vmware-rpctool /usr/bin/vmware-rpctool.backdoor
upload $ROOT/tests/fixtures/guest/vmware-rpctool /usr/bin/vmware-rpctool
chmod 0755 /usr/bin/vmware-rpctool"
boot "$T/r.qcow2" "$T/r.console" "" bios "$T/gikeys"
guest_file "$T/r.qcow2" /opt/nodeadm/tracker > "$T/tracker-r"
grep "init" "$T/tracker-r" | grep -q "rhel-cluster" || { cat "$T/tracker-r"; tail -n 30 "$T/r.console"; die "nodeadm init did not run on the RHEL-like image"; }
[ "$(grep -c "command=init" "$T/tracker-r")" = 1 ] || { cat "$T/tracker-r"; die "nodeadm init ran more than once"; }
# the data came through the VMware datasource (real ds-identify and real
# DataSourceVMware decoded hnbuild's gzip+base64), not some other source
guest_file "$T/r.qcow2" /var/lib/cloud/instance/datasource > "$T/ds-r" || die "cloud-init recorded no datasource"
grep -q "DataSourceVMware" "$T/ds-r" || { cat "$T/ds-r"; die "cloud-init did not use the VMware datasource"; }
guest_file "$T/r.qcow2" /etc/hostname | grep -qx node-r || die "hostname not set from guestinfo.metadata"
say "PASS"
