#!/bin/sh
# run.sh — `make bench`: export throughput of hnbuild against the obvious
# pipelines on the same disk, measured in one run and printed as ratios:
#   OVA:   qemu-img convert -O vmdk -o subformat=streamOptimized + sha256sum
#          (for the .mf) + tar + sha256sum (of the .ova)   vs  export_all(ova)
#   qcow2: qemu-img convert -c -O qcow2 + sha256sum        vs  export_all(qcow2)
# The disk: 10 GiB virtual holding ~2 GiB of real, mixed data (an ext4 made
# from /usr/share, random bytes, written zeros), cached in $BENCH_DIR.
set -eu
cd "$(dirname "$0")/../.."
BENCH_DIR=${BENCH_DIR:-/var/tmp/hnbuild-bench}
mkdir -p "$BENCH_DIR"
disk=$BENCH_DIR/disk.raw
export LC_ALL=C

if [ ! -e "$disk" ]; then
	echo "bench: building the test disk (10 GiB virtual, ~2 GiB data) in $BENCH_DIR"
	rm -f "$disk.tmp" "$BENCH_DIR/fs.img"
	truncate -s 10G "$disk.tmp"
	# an ext4 file system holding /usr/share (text, docs, locales, icons...)
	mkfs.ext4 -q -F -d /usr/share -E root_owner=0:0 "$BENCH_DIR/fs.img" 3G
	dd if="$BENCH_DIR/fs.img" of="$disk.tmp" bs=4M seek=1M oflag=seek_bytes conv=sparse,notrunc status=none
	rm -f "$BENCH_DIR/fs.img"
	# incompressible data (like compressed packages), and written zeros
	head -c 512M /dev/urandom | dd of="$disk.tmp" bs=4M seek=6G oflag=seek_bytes conv=notrunc status=none
	head -c 256M /dev/zero | dd of="$disk.tmp" bs=4M seek=8G oflag=seek_bytes conv=notrunc status=none
	# a copy of the system's binaries (ELF code)
	tar -cf - -C /usr bin sbin 2>/dev/null | head -c 384M |
		dd of="$disk.tmp" bs=4M seek=9G oflag=seek_bytes conv=notrunc status=none
	mv "$disk.tmp" "$disk"
fi
data=$(du -k "$disk" | cut -f1)
echo "bench: disk $(qemu-img info --output=json "$disk" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p') bytes virtual, $((data / 1024)) MiB allocated, $(nproc) CPUs"

make -s build/libhnbuild.a
cc -O2 -std=gnu11 -D_GNU_SOURCE -Ibuilder -Iformats -o build/export_bench tests/bench/export_bench.c \
	build/libhnbuild.a $(pkg-config --libs libvirt libguestfs libarchive libcrypto yaml-0.1 libcurl libxml-2.0 zlib libssh) -lpthread

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; cat "$disk" > /dev/null; }

work=$BENCH_DIR/run
rounds=${BENCH_ROUNDS:-2}
# best of $rounds, alternating the two sides, so load from other processes
# on a shared machine hurts neither side more than the other
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
ref_ova= hn_ova= ref_q= hn_q=
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	rm -rf "$work"; mkdir -p "$work/ref" "$work/hn"
	# --- OVA ---
	drop
	t0=$(now)
	qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$disk" "$work/ref/ref-disk1.vmdk"
	cp tests/golden/ovf-ubuntu24-amd64-uefi.ovf "$work/ref/ref.ovf"
	(cd "$work/ref" && sha256sum ref.ovf ref-disk1.vmdk | awk '{print "SHA256(" $2 ")= " $1}' > ref.mf &&
		tar --format=ustar -cf ref.ova ref.ovf ref.mf ref-disk1.vmdk && sha256sum ref.ova > SHA256SUMS)
	t1=$(now)
	ref_ova=$(min "$ref_ova" "$(elapsed "$t0" "$t1")")
	ref_ova_size=$(stat -c %s "$work/ref/ref.ova")
	rm -rf "$work/ref"; mkdir -p "$work/ref"
	drop
	set -- $(build/export_bench "$disk" "$work/hn" ova)
	hn_ova=$(min "$hn_ova" "$1") hn_ova_size=$2
	if [ $i -eq 1 ]; then
		tar -xf "$work/hn/bench-ubuntu24-amd64-k8s1.31.ova" -C "$work/hn" --wildcards '*.vmdk'
		qemu-img compare -q -f raw -F vmdk "$disk" "$work"/hn/*.vmdk || { echo "bench: the OVA's disk differs"; exit 1; }
	fi
	rm -rf "$work/hn"; mkdir -p "$work/hn"
	# --- qcow2 ---
	drop
	t0=$(now)
	qemu-img convert -c -f raw -O qcow2 "$disk" "$work/ref/ref.qcow2"
	sha256sum "$work/ref/ref.qcow2" > /dev/null
	t1=$(now)
	ref_q=$(min "$ref_q" "$(elapsed "$t0" "$t1")")
	ref_q_size=$(stat -c %s "$work/ref/ref.qcow2")
	drop
	set -- $(build/export_bench "$disk" "$work/hn" qcow2)
	hn_q=$(min "$hn_q" "$1") hn_q_size=$2
done
rm -rf "$work"
echo "bench: load average now $(cut -d' ' -f1-3 /proc/loadavg) (other processes skew the figures)"

printf '\n%-44s %9s %12s\n' "export (same disk, best of $rounds)" "seconds" "bytes"
printf '%-44s %9.1f %12s\n' "OVA: qemu-img vmdk + sha256sum + tar + sha256sum" "$ref_ova" "$ref_ova_size"
printf '%-44s %9.1f %12s\n' "OVA: hnbuild export_all" "$hn_ova" "$hn_ova_size"
printf '%-44s %9.1f %12s\n' "qcow2: qemu-img convert -c + sha256sum" "$ref_q" "$ref_q_size"
printf '%-44s %9.1f %12s\n' "qcow2: hnbuild export_all" "$hn_q" "$hn_q_size"
echo "OVA speed-up:   $(ratio "$ref_ova" "$hn_ova")x"
echo "qcow2 speed-up: $(ratio "$ref_q" "$hn_q")x"
