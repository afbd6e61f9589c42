#!/bin/sh
# e2e-cost: 300
# 50-inspect-generalize.sh — generalize and `hnbuild inspect` on a real
# Debian guest (the fixture payload: systemd, dbus, openssh, cloud-init)
# that carries what a build VM leaves behind: `hnbuild inspect` flags it
# (exit 1); generalize (C API) scrubs it; inspect then finds it clean
# (exit 0, text, JSON and through an OVA); the image boots under QEMU (TCG)
# and gets a new machine-id and new SSH host keys; the first-boot unit skips
# without a NodeConfig and, once one is dropped in as a plain file, runs
# the fixture's `nodeadm init` exactly once.
# e2e: full — 20 and 30 cover generalize, hygiene, inspect and first boot on built images.
set -eu
cd "$(dirname "$0")/../.."
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LC_ALL=C
HNBUILD=${HNBUILD:-$PWD/hnbuild}
work=$(mktemp -d /var/tmp/hnbuild-e2e-inspect-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
canary=CANARY-E2E-5d1e0b

payload=$(ls -t tests/fixtures/cache/payload-amd64-*.squashfs 2>/dev/null | head -n 1)
[ -n "$payload" ] || fail "no fixture payload: run 'make fixtures' first"
[ -x "$HNBUILD" ] || fail "no hnbuild binary at $HNBUILD"

echo "== a Debian guest with a build VM's leftovers"
root=$work/root
unsquashfs -q -d "$root" "$payload"
kver=$(ls "$root"/boot/vmlinuz-* | head -n 1 | sed 's|.*/vmlinuz-||')
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd"
printf 'LABEL=root / ext4 defaults 0 1\n' > "$root/etc/fstab"
echo 0123456789abcdef0123456789abcdef > "$root/etc/machine-id"
mkdir -p "$root/var/lib/dbus" && cp "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
ssh-keygen -q -A -f "$root"
ls "$root"/etc/ssh/ssh_host_*_key > /dev/null
# the build user, as the install boot creates it
echo 'hnbuild:x:1001:1001:hnbuild build user:/home/hnbuild:/bin/bash' >> "$root/etc/passwd"
echo 'hnbuild:$6$e2esalt$e2ehashe2ehash:19700:0:99999:7:::' >> "$root/etc/shadow"
echo 'hnbuild:x:1001:' >> "$root/etc/group"
sed -i 's/^sudo:x:27:$/sudo:x:27:hnbuild/' "$root/etc/group"
mkdir -p "$root/home/hnbuild/.ssh" "$root/etc/sudoers.d"
echo "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE2eBuildKeyE2eBuildKeyE2eBuildKey0000 hnbuild-build" \
	> "$root/home/hnbuild/.ssh/authorized_keys"
echo "sudo nodeadm install 1.31 $canary" > "$root/home/hnbuild/.bash_history"
echo 'hnbuild ALL=(ALL) NOPASSWD: ALL' > "$root/etc/sudoers.d/90-hnbuild"
chown -R 1001:1001 "$root/home/hnbuild"
# installer and cloud-init leftovers
mkdir -p "$root/var/log/installer" "$root/var/lib/cloud/instances/iid-build" "$root/etc/cloud/cloud.cfg.d"
echo "password: $canary" > "$root/var/log/installer/autoinstall-user-data"
echo "#cloud-config" > "$root/var/lib/cloud/instances/iid-build/user-data.txt"
ln -s /var/lib/cloud/instances/iid-build "$root/var/lib/cloud/instance"
echo "datasource_list: [ None ]" > "$root/etc/cloud/cloud.cfg.d/99-installer.cfg"
touch "$root/etc/cloud/cloud-init.disabled"
echo "build log $canary" > "$root/var/log/syslog"
# provision: the fixture nodeadm, installed offline into the tree
install -m 0755 tests/fixtures/nodeadm/nodeadm "$root/usr/local/bin/nodeadm"
FAKE_NODEADM_ROOT=$root sh tests/fixtures/nodeadm/nodeadm install 1.31 --credential-provider ssm > /dev/null 2>&1 ||
	fail "fixture nodeadm install"
grep -q 'command=install kubernetes=1.31' "$root/opt/nodeadm/tracker" || fail "no tracker"
# test harness: power off once the first-boot join had its turn
cat > "$root/etc/systemd/system/e2e-poweroff.service" <<'EOF'
[Unit]
DefaultDependencies=no
After=basic.target hnbuild-nodeadm-init.service hnbuild-ssh-hostkeys.service systemd-machine-id-commit.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'sleep 1; echo E2E-POWEROFF > /dev/console; systemctl poweroff --no-block'
[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/e2e-poweroff.service "$root/etc/systemd/system/multi-user.target.wants/e2e-poweroff.service"
virt-make-fs --format=raw --partition=mbr --type=ext4 --label=root --size=+256M "$root" "$work/guest.raw"
rm -rf "$root"
qemu-img convert -f raw -O qcow2 "$work/guest.raw" "$work/guest.qcow2"
rm -f "$work/guest.raw"

echo "== hnbuild inspect before generalize: findings, exit 1"
rc=0
"$HNBUILD" inspect "$work/guest.qcow2" > "$work/before.txt" 2> "$work/before.err" || rc=$?
cat "$work/before.txt"
[ $rc -eq 1 ] || fail "inspect before generalize exited $rc, want 1"
for want in "/etc/machine-id: machine-id is set" "/etc/ssh/ssh_host_ed25519_key: SSH host key" \
	"/var/log/installer: installer copy" "/etc/passwd: the build user 'hnbuild' is still defined" \
	"/home/hnbuild/.ssh/authorized_keys: the build's SSH key" "/etc/sudoers.d/90-hnbuild" \
	"/var/lib/cloud/instance" "/etc/cloud/cloud-init.disabled" "os:                  Debian GNU/Linux 12" \
	"kubernetes:          1.31" "credential provider: ssm" "arch:                x86_64"; do
	grep -qF "$want" "$work/before.txt" || fail "inspect did not report: $want"
done
grep -q "hygiene finding" "$work/before.err" || fail "no error line for the findings"

echo "== generalize (C API)"
make -s build/libhnbuild.a
cat > "$work/gen.c" <<'EOF'
#include <stdio.h>
#include "err.h"
#include "generalize.h"
int main(int argc, char **argv)
{
	struct generalize_params p = {.disk = argv[1], .format = "qcow2", .build_user = "hnbuild",
				      .remove_build_user = 1, .family = FAMILY_UBUNTU, .zero_free_space = 1};
	(void)argc;
	if (generalize_disk(&p) < 0) {
		fprintf(stderr, "generalize: %s\n", err_message());
		return 1;
	}
	return 0;
}
EOF
cc -std=gnu11 -D_GNU_SOURCE -Ibuilder -Iformats -Ikickstart -Iuser-data -o "$work/gen" "$work/gen.c" build/libhnbuild.a \
	$(pkg-config --libs libvirt libguestfs libarchive libcrypto yaml-0.1 libcurl libxml-2.0 zlib libssh) -lpthread -lcrypt
start=$(date +%s)
"$work/gen" "$work/guest.qcow2"
echo "generalize took $(( $(date +%s) - start )) s"

echo "== hnbuild inspect after generalize: clean, exit 0"
"$HNBUILD" inspect "$work/guest.qcow2" > "$work/after.txt" || fail "inspect after generalize exited $?"
cat "$work/after.txt"
grep -q "^hygiene:             clean$" "$work/after.txt" || fail "not clean"
grep -q "^first-boot join:     hnbuild-nodeadm-init.service (enabled)$" "$work/after.txt" || fail "no first-boot unit"
grep -q "^cloud-init:          installed, enabled$" "$work/after.txt" || fail "cloud-init not enabled"
"$HNBUILD" inspect --json "$work/guest.qcow2" > "$work/after.json"
python3 - "$work/after.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clean"] is True and d["findings"] == [], d
assert d["os"]["id"] == "debian" and d["nodeadm"]["kubernetes_version"] == "1.31", d
assert d["first_boot_unit"]["enabled"] is True, d
EOF
qemu-img convert -f qcow2 -O raw "$work/guest.qcow2" "$work/check.raw"
if grep -qa "$canary" "$work/check.raw"; then fail "the canary secret survives in the image bytes"; fi
rm -f "$work/check.raw"

echo "== through an OVA"
qemu-img convert -f qcow2 -O vmdk -o subformat=streamOptimized "$work/guest.qcow2" "$work/e2e-disk1.vmdk"
printf '<?xml version="1.0"?>\n<Envelope/>\n' > "$work/e2e.ovf"
tar -C "$work" --format=ustar -cf "$work/e2e.ova" e2e.ovf e2e-disk1.vmdk
rm -f "$work/e2e-disk1.vmdk"
"$HNBUILD" inspect "$work/e2e.ova" > "$work/ova.txt" || fail "inspect of the OVA exited $?"
grep -q "(ova)$" "$work/ova.txt" && grep -q "^hygiene:             clean$" "$work/ova.txt" || fail "OVA report"
rm -f "$work/e2e.ova"

boot() { # boot the image until the harness powers it off
	timeout 900 qemu-system-x86_64 -machine q35,accel=tcg -m 1024 -smp 2 -nographic -no-reboot \
		-kernel "$work/vmlinuz" -initrd "$work/initrd" \
		-append "root=LABEL=root ro console=ttyS0 net.ifnames=1 systemd.show_status=1" \
		-drive "file=$work/guest.qcow2,if=virtio,format=qcow2" \
		-nic user,restrict=on,model=virtio-net-pci > "$work/console-$1.log" 2>&1 ||
		{ tail -n 40 "$work/console-$1.log"; fail "boot $1 did not power off cleanly"; }
	grep -q E2E-POWEROFF "$work/console-$1.log" || { tail -n 40 "$work/console-$1.log"; fail "boot $1: harness did not run"; }
}

echo "== boot 1: no NodeConfig"
start=$(date +%s)
boot 1
echo "boot 1 took $(( $(date +%s) - start )) s"
guestfish --ro -a "$work/guest.qcow2" -i <<'EOF' > "$work/boot1.txt"
cat /etc/machine-id
cat /opt/nodeadm/tracker
is-file /etc/ssh/ssh_host_ed25519_key
EOF
cat "$work/boot1.txt"
head -n 1 "$work/boot1.txt" | grep -Eq '^[0-9a-f]{32}$' || fail "no new machine-id after boot 1"
grep -q 0123456789abcdef0123456789abcdef "$work/boot1.txt" && fail "the old machine-id came back"
[ "$(tail -n 1 "$work/boot1.txt")" = true ] || fail "no new SSH host key after boot 1"
grep -q 'command=init' "$work/boot1.txt" && fail "nodeadm init ran without a NodeConfig"

echo "== boot 2: a NodeConfig dropped in as a plain file"
guestfish -a "$work/guest.qcow2" -i <<'EOF'
mkdir-p /etc/eks/nodeadm
write /etc/eks/nodeadm/nodeConfig.yaml "apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: e2e-cluster\n    region: us-west-2\n  hybrid:\n    ssm:\n      activationCode: AbCdEfGhIjKlMnOpQrSt0123\n      activationId: 0123abcd-4567-89ab-cdef-0123456789ab\n"
EOF
boot 2
guestfish --ro -a "$work/guest.qcow2" -i <<'EOF' > "$work/boot2.txt"
cat /opt/nodeadm/tracker
cat /var/lib/hnbuild/nodeadm-init.done
cat /var/log/hnbuild-nodeadm-init.log
EOF
cat "$work/boot2.txt"
[ "$(grep -c 'command=init cluster=e2e-cluster region=us-west-2 credential=ssm' "$work/boot2.txt")" -eq 1 ] ||
	fail "the first-boot unit did not run nodeadm init once"

echo "== boot 3: already joined, the unit skips"
boot 3
n=$(guestfish --ro -a "$work/guest.qcow2" -i cat /opt/nodeadm/tracker | grep -c 'command=init')
[ "$n" -eq 1 ] || fail "nodeadm init ran $n times"
echo "PASS"
