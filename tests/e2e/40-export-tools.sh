#!/bin/sh
# e2e-cost: 460
# 40-export-tools.sh — the OVA that hnbuild's export writes, checked by
# other people's readers: virt-v2v parses its OVF and verifies its manifest
# (--print-source), qemu-img reads its VMDK back equal to the source, and
# virt-v2v converts a real Debian guest shipped in it (-o local); the
# converted disk equals the source outside the places virt-v2v edits.
# Uses the fixture payload (a Debian 12 system with kernel, systemd and
# initramfs-tools) from `make fixtures`, and TCG for libguestfs.
set -eu
cd "$(dirname "$0")/../.."
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg LC_ALL=C
work=$(mktemp -d /var/tmp/hnbuild-e2e-export-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }

payload=$(ls -t tests/fixtures/cache/payload-amd64-*.squashfs 2>/dev/null | head -n 1)
[ -n "$payload" ] || fail "no fixture payload: run 'make fixtures' first"
command -v virt-v2v > /dev/null || fail "virt-v2v is not installed (tools/packages.txt)"

# 1. a small bootable-looking Debian guest disk (BIOS, one ext4 partition)
echo "== building the guest disk from $payload"
unsquashfs -q -no-progress -d "$work/root" "$payload"
ls "$work"/root/boot/vmlinuz-* > /dev/null 2>&1 || fail "the payload has no kernel"
kver=$(ls "$work"/root/boot/vmlinuz-* | head -n 1 | sed 's|.*/vmlinuz-||')
printf 'LABEL=root / ext4 defaults 0 1\n' > "$work/root/etc/fstab"
mkdir -p "$work/root/boot/grub"
cat > "$work/root/boot/grub/grub.cfg" <<EOG
set default=0
set timeout=1
menuentry 'Debian GNU/Linux' {
	search --no-floppy --label root --set=root
	linux /boot/vmlinuz-$kver root=LABEL=root ro console=ttyS0
	initrd /boot/initrd.img-$kver
}
EOG
# the amd64 payload carries open-vm-tools (hnbuild installs it on amd64 for
# vSphere's guestinfo); virt-v2v uninstalls VMware's tools when it converts
# a guest to KVM (its documented behaviour), so their files are set aside
# in the comparison below
[ -x "$work/root/usr/bin/vmware-rpctool" ] || fail "the amd64 payload has no open-vm-tools (tests/fixtures/build.sh)"
cat "$work"/root/var/lib/dpkg/info/open-vm-tools*.list | sort -u > "$work/vmtools.files"
virt-make-fs --format=raw --partition=mbr --type=ext4 --label=root --size=+256M "$work/root" "$work/guest.raw"
rm -rf "$work/root"
# the generalized disk as the build hands it over: qcow2
qemu-img convert -f raw -O qcow2 "$work/guest.raw" "$work/guest.qcow2"

# 2. export it with hnbuild (the C API, through the bench driver)
echo "== exporting"
make -s build/libhnbuild.a
cc -O2 -std=gnu11 -D_GNU_SOURCE -Ibuilder -Iformats -o "$work/export_bench" tests/bench/export_bench.c \
	build/libhnbuild.a $(pkg-config --libs libvirt libguestfs libarchive libcrypto yaml-0.1 libcurl libxml-2.0 zlib libssh) -lpthread
"$work/export_bench" "$work/guest.qcow2" "$work/out" ova
ova=$work/out/bench-ubuntu24-amd64-k8s1.31.ova
[ -f "$ova" ] || fail "no OVA"
(cd "$work/out" && sha256sum -c SHA256SUMS)

# 3. tar order, ustar, manifest
tar -tvf "$ova"
[ "$(tar -tf "$ova" | tr '\n' ' ')" = "bench-ubuntu24-amd64-k8s1.31.ovf bench-ubuntu24-amd64-k8s1.31.mf bench-ubuntu24-amd64-k8s1.31-disk1.vmdk " ] ||
	fail "tar order"
[ "$(dd if="$ova" bs=1 skip=257 count=5 status=none)" = ustar ] || fail "not ustar"
mkdir "$work/x"
tar -xf "$ova" -C "$work/x"
(cd "$work/x" && sed -n 's/^SHA256(\(.*\))= \([0-9a-f]*\)$/\2  \1/p' *.mf | sha256sum -c -) || fail "manifest"
# (dash has no pipefail: each tool's status is checked, its output shown)
xmllint --noout --nonet --schema tests/schemas/ovf/dsp8023_1.1.1.xsd "$work"/x/*.ovf > "$work/xmllint.txt" 2>&1 ||
	{ cat "$work/xmllint.txt"; fail "the OVF does not validate against the DMTF schema"; }
tail -n 1 "$work/xmllint.txt"
qemu-img check "$work"/x/*.vmdk || fail "qemu-img check of the VMDK"
qemu-img compare -f raw -F vmdk "$work/guest.raw" "$work"/x/*.vmdk || fail "VMDK differs from the source"
vmdkinfo "$work"/x/*.vmdk | grep -q "Stream optimized" || fail "vmdkinfo"

# 4. virt-v2v parses the OVF and checks the manifest
echo "== virt-v2v --print-source"
virt-v2v -i ova "$ova" --print-source > "$work/source.txt" 2>&1 || { cat "$work/source.txt"; fail "virt-v2v --print-source"; }
cat "$work/source.txt"
grep -q "bench-ubuntu24-amd64-k8s1.31" "$work/source.txt" || fail "source name"
grep -qi "memory: *4294967296" "$work/source.txt" || fail "memory"
grep -qi "nr vCPUs: *2" "$work/source.txt" || fail "vCPUs"
grep -qi "firmware: *uefi" "$work/source.txt" || fail "firmware"
# a manifest that does not match is refused (the check can fail)
mkdir "$work/bad"
(cd "$work/x" && sed 's/= \(.\)/= 0/' *.mf > "$work/bad/m" && cp "$work/bad/m" bench-ubuntu24-amd64-k8s1.31.mf &&
	tar --format=ustar -cf "$work/bad/bad.ova" bench-ubuntu24-amd64-k8s1.31.ovf bench-ubuntu24-amd64-k8s1.31.mf \
		bench-ubuntu24-amd64-k8s1.31-disk1.vmdk)
if virt-v2v -i ova "$work/bad/bad.ova" --print-source > /dev/null 2>&1; then fail "a bad manifest was accepted"; fi
rm -rf "$work/bad" "$work/x"

# 5. a full conversion; its disk equals the source apart from virt-v2v's edits
echo "== virt-v2v -o local"
mkdir "$work/v2v"
# virt-v2v reads the firmware from the OVF (UEFI here); the payload boots
# either way, and conversion does not boot the guest.
virt-v2v -i ova "$ova" -o local -os "$work/v2v" -of raw > "$work/v2v.txt" 2>&1 ||
	{ tail -n 40 "$work/v2v.txt"; fail "virt-v2v -o local failed"; }
tail -n 20 "$work/v2v.txt"
conv=$(ls "$work"/v2v/*-sda)
[ -f "$conv" ] || fail "no converted disk"
# virt-v2v edits /etc, /boot, /var and adds firstboot scripts; the rest of
# the file system must hold the same bytes: compare checksums of /usr/bin,
# /usr/sbin and /usr/share/doc on the source and on the converted disk,
# leaving out the files of the open-vm-tools packages
drop_vmtools() { awk 'NR == FNR { skip[$0] = 1; next } !($NF in skip)' "$work/vmtools.files" -; }
for d in /usr/bin /usr/sbin /usr/share/doc; do
	virt-ls -a "$work/guest.raw" -lR --checksums=sha256 "$d" | sort > "$work/a0.txt"
	virt-ls -a "$conv" -lR --checksums=sha256 "$d" | sort > "$work/b0.txt"
	drop_vmtools < "$work/a0.txt" > "$work/a.txt"
	drop_vmtools < "$work/b0.txt" > "$work/b.txt"
	[ -s "$work/a.txt" ] || fail "no files listed under $d"
	echo "$d: $(($(wc -l < "$work/a0.txt") - $(wc -l < "$work/a.txt"))) entries of open-vm-tools set aside"
	cmp -s "$work/a.txt" "$work/b.txt" || { diff "$work/a.txt" "$work/b.txt" | head -n 20; fail "$d differs after conversion"; }
	echo "$d: $(wc -l < "$work/a.txt") entries identical"
done
echo "PASS"
