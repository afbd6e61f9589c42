# lib.sh — sourced by hnbuild's end-to-end tests (tests/e2e/2*.sh and later):
# a private temp dir, a loopback HTTP server holding the fake nodeadm, and
# shared images built once and reused by tests that only read them.
# shellcheck shell=sh
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HNBUILD=${HNBUILD:-$ROOT/hnbuild}
FIXTURES=$ROOT/tests/fixtures/out
IMAGES=$ROOT/build/e2e-images          # shared between tests; removed by `make clean`
T=$(mktemp -d "${TMPDIR:-/tmp}/hnbuild-e2e.XXXXXX")
export TMPDIR=$T/tmp                   # every temp file hnbuild makes lands here
mkdir -p "$TMPDIR" "$IMAGES"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export XDG_CACHE_HOME=$T/cache
T0=$(date +%s)
SERVER_PID=""
CHILD_PIDS=""

cleanup() {
	for p in $CHILD_PIDS $SERVER_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "${KEEP_TEST_DIR:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '[%4ds] %s\n' "$(($(date +%s) - T0))" "$*"; }
die() {
	say "FAIL: $*"
	exit 1
}
# expect_rc WANT CMD... — run CMD (output to $T/out), check its exit code
expect_rc() {
	_want=$1
	shift
	"$@" > "$T/out" 2>&1
	_rc=$?
	[ "$_rc" = "$_want" ] || { cat "$T/out"; die "expected exit $_want, got $_rc: $*"; }
}
expect_out() { grep -q -- "$1" "$T/out" || { cat "$T/out"; die "output lacks: $1"; }; }
no_domains() {
	_left=$(virsh -c qemu:///system list --all --name | grep -c hnbuild- || true)
	[ "$_left" = 0 ] || die "libvirt domains left behind: $(virsh -c qemu:///system list --all --name)"
}
no_temp_files() {
	[ -z "$(ls -A "$TMPDIR")" ] || die "temporary files left behind: $(ls -A "$TMPDIR")"
}

# The fake nodeadm on a loopback HTTP server, as a mirror: NODEADM_URL.
start_nodeadm_server() {
	mkdir -p "$T/www"
	cp "$ROOT/tests/fixtures/nodeadm/nodeadm" "$ROOT/tests/fixtures/nodeadm/nodeadm.sha256" "$T/www/"
	_out=$(python3 "$ROOT/tests/fixtures/serve.py" "$T/www" 0) || die "cannot start the HTTP server"
	SERVER_PID=$(echo "$_out" | sed -n 1p)
	SERVER_PORT=$(echo "$_out" | sed -n 2p)
	NODEADM_URL="http://127.0.0.1:$SERVER_PORT/nodeadm"
}

# iso OS ARCH — a fixture ISO and its checksum flag
iso_flags() {
	echo "--iso $FIXTURES/$1-$2.iso --iso-checksum file:$FIXTURES/SHA256SUMS"
}

# Common flags of a test build: small and loopback-only.
test_build_flags() {
	echo "--accel tcg --disk-size 4G --memory 2048 --cpus 2 --restrict-network --timeout 40m"
}

# guest_file IMAGE PATH — print a file from an image (offline, libguestfs)
guest_file() {
	virt-cat -a "$1" "$2" 2>/dev/null
}
