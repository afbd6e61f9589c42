#!/bin/sh
# e2e-cost: 15
# 60-publish.sh — `hnbuild publish` against vcsim (govmomi's vSphere API
# simulator, wrapped by tests/vcsim: TLS with its own certificate, a login,
# uploads kept in the datastore directory, fault injection). An OVA that
# hnbuild's export wrote from a small qcow2 is imported into a folder as a
# template with its NIC mapped to a distributed port group, and the disk
# bytes vcsim received equal the OVA's VMDK. Then every error case: wrong
# password, missing datastore/folder/network/cluster, untrusted TLS,
# existing template without and with --force, lease faults, an upload cut
# off mid-way or refused, a disk that does not match the manifest — each
# with a clear message and exit code, the lease aborted and nothing
# half-imported left in the folder. The password never shows in argv
# (sampled with ps while publishing) nor in any output.
set -eu
cd "$(dirname "$0")/../.."
export LC_ALL=C
HNBUILD=${HNBUILD:-$PWD/hnbuild}
work=$(mktemp -d /var/tmp/hnbuild-e2e-publish-XXXXXX)
sim_pid=""
cleanup() {
	exec 8>&- 2> /dev/null || true
	[ -n "$sim_pid" ] && kill "$sim_pid" 2> /dev/null && wait "$sim_pid" 2> /dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# 1. the simulator (built once into build/; about 15-50 s the first time)
sh tests/vcsim/build.sh || fail "cannot build tests/vcsim"

# 2. a small OVA from hnbuild's export (the C API, through the bench driver)
step "exporting an OVA from a small qcow2"
cc -O2 -std=gnu11 -D_GNU_SOURCE -Ibuilder -Iformats -o "$work/export_bench" tests/bench/export_bench.c \
	build/libhnbuild.a $(pkg-config --libs libvirt libguestfs libarchive libcrypto yaml-0.1 libcurl libxml-2.0 zlib libssh) \
	-lpthread -lcrypt
qemu-img create -q -f qcow2 "$work/disk.qcow2" 64M
qemu-io -c "write -P 0xab 1M 3M" -c "write -P 0x5c 40M 512k" "$work/disk.qcow2" > /dev/null
"$work/export_bench" "$work/disk.qcow2" "$work/out" ova > /dev/null
ova=$work/out/bench-ubuntu24-amd64-k8s1.31.ova
[ -f "$ova" ] || fail "no OVA"
mkdir "$work/x"
tar -xf "$ova" -C "$work/x"
vmdk=$(ls "$work"/x/*.vmdk)

# 3. start vcsim; credentials through the environment only
step "starting vcsim"
export VCSIM_USER=hnbuild-publisher@vsphere.local
export VCSIM_PASSWORD="Sim-$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')-p&ss<w>rd"
. tests/vcsim/start.sh
vcsim_start "$work/sim" || fail "cannot start vcsim"
sim_pid=$VCSIM_PID url=$VCSIM_URL ca=$VCSIM_CA
base=${url%/sdk}
echo "vcsim at $url"

export VSPHERE_SERVER="$url" VSPHERE_USER="$VCSIM_USER" VSPHERE_PASSWORD="$VCSIM_PASSWORD"
export VSPHERE_DATACENTER=DC0 VSPHERE_CLUSTER=DC0_C0 VSPHERE_DATASTORE=LocalDS_0 VSPHERE_NETWORK=DC0_DVPG0
export VSPHERE_OUTPUT_FOLDER=Templates
unset VSPHERE_INSECURE VSPHERE_CA_FILE VSPHERE_RESOURCE_POOL 2> /dev/null || true

n=0
# run NAME EXPECTED_EXIT ARGS...: hnbuild publish, output in $work/NAME.out
run() {
	name=$1 want=$2
	shift 2
	n=$((n + 1))
	set +e
	"$HNBUILD" publish "$@" > "$work/$name.out" 2>&1
	rc=$?
	set -e
	echo "-- $name: exit $rc"
	sed 's/^/   | /' "$work/$name.out"
	[ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want"
}
expect() { grep -q -- "$2" "$work/$1.out" || fail "$1: output lacks '$2'"; }
inspect() { build/vcsim inspect -url "$url" -path "/DC0/vm/Templates/$1"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# soap_mark: where soap.log stood when the current case began (fault() sets
# it; a case without a fault calls it), so that aborted() reads only the
# calls of that case, not the previous one's.
soap_mark() { soap_from=$(($(wc -l < "$work/sim/soap.log") + 1)); }
fault() {
	soap_mark
	curl -sS --cacert "$ca" "$base/hnbuild-test/fault?$1" > /dev/null || fail "cannot set fault $1"
}
folder_is() {
	got=$(build/vcsim ls -url "$url" -path /DC0/vm/Templates | sort | tr '\n' ' ')
	[ "$got" = "$1" ] || fail "folder Templates holds '$got', expected '$1'"
}
aborted() {
	tail -n "+$soap_from" "$work/sim/soap.log" > "$work/case-soap.log"
	grep -q '^HttpNfcLeaseAbort' "$work/case-soap.log" || fail "$1: the lease was not aborted"
	grep -q '^Destroy_Task' "$work/case-soap.log" || fail "$1: the half-imported VM was not destroyed"
}

# 4. the import, sampling argv while it runs
step "publish (template, network mapped, bytes equal)"
(while [ ! -e "$work/stop-ps" ]; do ps -eo args >> "$work/ps.txt"; sleep 0.05; done) &
ps_pid=$!
run publish 0 "$ova" --ca-file "$ca" --name eks-node --json -v
touch "$work/stop-ps"
wait $ps_pid || true
grep -q "hnbuild publish" "$work/ps.txt" || fail "ps never saw hnbuild publish running"
sed -n '/^{/,/^}/p' "$work/publish.out" > "$work/publish.json"
[ "$(json "$work/publish.json" 'd["inventory_path"]')" = /DC0/vm/Templates/eks-node ] || fail "inventory path"
[ "$(json "$work/publish.json" 'd["template"]')" = True ] || fail "not reported as template"
[ "$(json "$work/publish.json" 'd["bytes"]')" = "$(stat -c %s "$vmdk")" ] || fail "bytes uploaded"
inspect eks-node > "$work/vm.json"
cat "$work/vm.json"
[ "$(json "$work/vm.json" 'd["template"]')" = True ] || fail "vcsim: not a template"
[ "$(json "$work/vm.json" 'd["parent_folder"]')" = Templates ] || fail "vcsim: not in folder Templates"
[ "$(json "$work/vm.json" '",".join(d["networks"])')" = DC0_DVPG0 ] || fail "vcsim: network not mapped to DC0_DVPG0"
json "$work/vm.json" 'd["nic_backings"][0]' | grep -q '^dvportgroup:' || fail "vcsim: NIC not on the port group"
[ "$(json "$work/vm.json" 'd["guest_id"]')" = ubuntu64Guest ] || fail "vcsim: guest id"
[ "$(json "$work/vm.json" 'd["disks"][0]["capacity_kb"]')" = 65536 ] || fail "vcsim: disk capacity"
disk=$(json "$work/vm.json" 'd["disks"][0]["local_path"]')
cmp "$disk" "$vmdk" || fail "the disk vcsim received differs from the OVA's VMDK"
grep -q '^HttpNfcLeaseComplete' "$work/sim/soap.log" || fail "lease not completed"
grep -q '^MarkAsTemplate' "$work/sim/soap.log" || fail "not marked as template"
folder_is "eks-node "

# 5. credentials and TLS
step "wrong password"
VSPHERE_PASSWORD="not-$VCSIM_PASSWORD" run badpass 1 "$ova" --ca-file "$ca" --name x1
expect badpass "refused the login of user '$VCSIM_USER'"
grep -q "not-" "$work/badpass.out" && fail "badpass: the password shows in the output"

step "password file and password rules"
printf '%s\n' "$VCSIM_PASSWORD" > "$work/pw"
chmod 600 "$work/pw"
VSPHERE_PASSWORD= run pwfile 0 "$ova" --ca-file "$ca" --name pwfile --no-template --password-file "$work/pw"
[ "$(inspect pwfile | python3 -c 'import json,sys; print(json.load(sys.stdin)["template"])')" = False ] ||
	fail "--no-template made a template"
run pwflag 2 "$ova" --ca-file "$ca" --password=foo
expect pwflag "--password is not accepted"
run pwurl 2 "$ova" --ca-file "$ca" --vcenter "https://someone:secret@127.0.0.1/sdk"
expect pwurl "must not carry a password"
VSPHERE_PASSWORD= run nopass 2 "$ova" --ca-file "$ca"
expect nopass "needs a password"

step "TLS: untrusted without --ca-file, trusted with it or with --insecure"
run tls 1 "$ova" --name tls
expect tls "TLS verification of $url failed"
run insecure 0 "$ova" --name insecure --insecure
expect insecure "not verified"
hostport=${url#https://}
VSPHERE_CA_FILE="$ca" run hostport 0 "$ova" --name hostport --vcenter "${hostport%/sdk}"

# 6. settings vCenter does not know: exit 2, nothing imported
step "missing datastore, folder, network, cluster, datacenter"
run nods 2 "$ova" --ca-file "$ca" --name x2 --datastore NoSuchDS
expect nods "datastore 'NoSuchDS' not found"
run nofolder 2 "$ova" --ca-file "$ca" --name x3 --folder Nowhere
expect nofolder "folder 'Nowhere' not found"
run nonet 2 "$ova" --ca-file "$ca" --name x4 --network "No Such Net"
expect nonet "network 'No Such Net' not found"
run nocluster 2 "$ova" --ca-file "$ca" --name x5 --cluster C9
expect nocluster "cluster 'C9' not found"
run nodc 2 "$ova" --ca-file "$ca" --name x6 --datacenter DC7
expect nodc "datacenter 'DC7' not found"
folder_is "eks-node hostport insecure pwfile "

# 7. an existing template: refused without --force, replaced with it
step "existing template"
old=$(json "$work/vm.json" 'd["inventory_path"]')
run exists 2 "$ova" --ca-file "$ca" --name eks-node
expect exists "already exists"
run force 0 "$ova" --ca-file "$ca" --name eks-node --force --json
sed -n '/^{/,/^}/p' "$work/force.out" > "$work/force.json"
[ "$(json "$work/force.json" 'd["replaced"]')" = True ] || fail "--force: not reported as replaced"
[ "$(json "$work/force.json" 'd["moref"]')" != "$(json "$work/publish.json" 'd["moref"]')" ] || fail "--force: same VM"
[ "$(inspect eks-node | python3 -c 'import json,sys; print(json.load(sys.stdin)["template"])')" = True ] ||
	fail "--force: the replacement is not a template"
folder_is "eks-node hostport insecure pwfile "
[ -n "$old" ] || fail "vcsim: no inventory path for the existing template"
[ "$(inspect eks-node | python3 -c 'import json,sys; print(json.load(sys.stdin)["inventory_path"])')" = "$old" ] ||
	fail "--force: the replacement is not where the old template was ($old)"

# 8. lease and upload failures: the lease is aborted and the VM removed
step "lease fault on complete"
fault method=HttpNfcLeaseComplete
run leasecomplete 1 "$ova" --ca-file "$ca" --name lease1
expect leasecomplete "Completing the import failed"
aborted leasecomplete
step "lease fault on progress (keep-alive)"
fault method=HttpNfcLeaseProgress
run leaseprogress 1 "$ova" --ca-file "$ca" --name lease2
expect leaseprogress "import lease failed"
aborted leaseprogress
step "upload cut off after 4 KiB"
fault upload-fail=4096
run cutoff 1 "$ova" --ca-file "$ca" --name cut
expect cutoff "upload of .* was interrupted"
aborted cutoff
step "upload refused (HTTP 500)"
fault upload-status=500
run refused 1 "$ova" --ca-file "$ca" --name refused
expect refused "refused the upload .*HTTP 500"
aborted refused
step "a slow upload: the lease is kept alive (HttpNfcLeaseProgress every 10 s)"
fault upload-delay=12s
mark=$(wc -l < "$work/sim/soap.log")
run slow 0 "$ova" --ca-file "$ca" --name slow
tail -n +$((mark + 1)) "$work/sim/soap.log" | sed -n '/^NFC-SLOW/,/^NFC-DONE/p' | grep -q '^HttpNfcLeaseProgress' ||
	fail "no lease keep-alive during the slow upload"
step "Ctrl-C during the upload: exit 130, rolled back"
fault upload-delay=30s
"$HNBUILD" publish "$ova" --ca-file "$ca" --name intr > "$work/intr.out" 2>&1 &
hn_pid=$!
i=0
until tail -n 5 "$work/sim/soap.log" | grep -q '^NFC-SLOW'; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the upload did not start"
	sleep 0.1
done
kill -INT $hn_pid
set +e
wait $hn_pid
rc=$?
set -e
n=$((n + 1))
sed 's/^/   | /' "$work/intr.out"
[ $rc = 130 ] || fail "interrupted publish: exit $rc, expected 130"
expect intr "interrupted"
aborted intr
step "import refused (ImportVApp fault)"
fault method=ImportVApp
run importfault 1 "$ova" --ca-file "$ca" --name imp
expect importfault "ImportVApp failed: injected fault"
step "a disk that does not match the manifest (exit 3)"
mkdir "$work/bad"
cp "$work"/x/* "$work/bad/"
python3 - "$work"/bad/*.mf <<'EOP'
import re, sys
p = sys.argv[1]
s = open(p).read()
# flip the first hex digit of the disk's digest
s = re.sub(r"(vmdk\)= )(.)", lambda m: m.group(1) + ("1" if m.group(2) == "0" else "0"), s)
open(p, "w").write(s)
EOP
(cd "$work/bad" && tar --format=ustar -cf "$work/bad.ova" *.ovf *.mf *.vmdk)
soap_mark
run badmf 3 "$work/bad.ova" --ca-file "$ca" --name badmf
expect badmf "does not match its manifest"
aborted badmf
step "not an OVA"
printf 'junk' > "$work/junk.ova"
run junk 3 "$work/junk.ova" --ca-file "$ca"
expect junk "is not an OVA"
folder_is "eks-node hostport insecure pwfile slow "

# 9. the password never appears in argv or in any output
step "secrets"
if grep -F -- "$VCSIM_PASSWORD" "$work/ps.txt" > /dev/null; then fail "the password appeared in argv"; fi
for f in "$work"/*.out; do
	if grep -F -- "$VCSIM_PASSWORD" "$f" > /dev/null; then fail "the password appeared in $(basename "$f")"; fi
done
[ "$n" -ge 20 ] || fail "only $n runs"
echo "PASS ($n publish runs)"
