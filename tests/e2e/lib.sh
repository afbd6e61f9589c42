# lib.sh — sourced by hnbuild's end-to-end tests (tests/e2e/2*.sh and later):
# a private temp dir, a loopback HTTP server holding the fake nodeadm, and
# shared images built once and reused by tests that only read them.
# shellcheck shell=sh
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/stop_pid.sh"
HNBUILD=${HNBUILD:-$ROOT/hnbuild}
FIXTURES=$ROOT/tests/fixtures/out
IMAGES=$ROOT/build/e2e-images          # shared between tests; removed by `make clean`
T=$(mktemp -d "${TMPDIR:-/tmp}/hnbuild-e2e.XXXXXX")
export TMPDIR=$T/tmp                   # every temp file hnbuild makes lands here
mkdir -p "$TMPDIR" "$IMAGES"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export XDG_CACHE_HOME=$T/cache
# The installed-base cache that tests share (20 stores the ubuntu24 amd64
# base, 26 builds on it): XDG_CACHE_HOME=$SHARED_CACHE for those builds.
# run-e2e.sh empties it before a whole run.
SHARED_CACHE=$ROOT/build/e2e-cache
T0=$(date +%s)
SERVER_PID=""
CHILD_PIDS=""      # the one foreground helper a test waits for
BACKGROUND_PIDS="" # servers a test started for its whole run

cleanup() {
	for p in $CHILD_PIDS $SERVER_PID $BACKGROUND_PIDS; do
		stop_pid "$p"
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
# my_domains [--all] — this test's hnbuild domains (running, or all with
# --all): those whose definition names a path in $T, where this test's
# builds keep their work files. Tests run side by side (run-e2e.sh), so
# another test's domains are not this one's business.
my_domains() {
	for _d in $(virsh -c qemu:///system list ${1:-} --name 2>/dev/null | grep '^hnbuild-'); do
		virsh -c qemu:///system dumpxml "$_d" 2>/dev/null | grep -q -- "$T/" && echo "$_d"
	done
}
no_domains() {
	_left=$(my_domains --all)
	[ -z "$_left" ] || die "libvirt domains left behind: $_left"
}
no_temp_files() {
	# .guestfs-UID is libguestfs's appliance cache (kept on purpose, reused).
	_left=$(ls -A "$TMPDIR" | grep -v '^\.guestfs-' || true)
	[ -z "$_left" ] || die "temporary files left behind: $_left"
}

# The fake nodeadm on a loopback HTTP server, as a mirror: NODEADM_URL, and
# NODEADM_FLAGS for a build (over plain http hnbuild trusts only a digest
# given with --nodeadm-sha256, not the .sha256 beside the binary).
start_nodeadm_server() {
	mkdir -p "$T/www"
	cp "$ROOT/tests/fixtures/nodeadm/nodeadm" "$ROOT/tests/fixtures/nodeadm/nodeadm.sha256" "$T/www/"
	_out=$(python3 "$ROOT/tests/fixtures/serve.py" "$T/www" 0) || die "cannot start the HTTP server"
	SERVER_PID=$(echo "$_out" | sed -n 1p)
	SERVER_PORT=$(echo "$_out" | sed -n 2p)
	NODEADM_URL="http://127.0.0.1:$SERVER_PORT/nodeadm"
	NODEADM_SHA256=$(cut -c1-64 "$T/www/nodeadm.sha256")
	NODEADM_FLAGS="--nodeadm-url $NODEADM_URL --nodeadm-sha256 $NODEADM_SHA256"
}

# Images one test builds and a later one reads (20 and 21 for 30) carry the
# id of the run that built them: a later test never passes on an image left
# by an earlier run, or by a build that failed in this one. run-e2e.sh sets
# E2E_RUN_ID; E2E_REUSE_IMAGES=1 accepts an earlier run's images on purpose.
E2E_RUN_ID=${E2E_RUN_ID:-standalone-$$}
mark_run() { # DIR — DIR's images come from this run
	echo "$E2E_RUN_ID" > "$1/.e2e-run-id" || die "cannot mark $1 with the run id"
}
require_run() { # DIR TEST — DIR's images must come from this run's TEST
	[ "${E2E_REUSE_IMAGES:-0}" = 1 ] && return 0
	_id=$(cat "$1/.e2e-run-id" 2>/dev/null || echo none)
	[ "$_id" = "$E2E_RUN_ID" ] || die "the images in $1 are not from this run (run $_id, this is $E2E_RUN_ID): run $2 first, or set E2E_REUSE_IMAGES=1 to use them anyway"
}

# A mirror beside the server's nodeadm whose nodeadm fails every command,
# published with its matching digest: FAILING_NODEADM_URL, FAILING_NODEADM_FLAGS.
failing_nodeadm_mirror() {
	mkdir -p "$T/www/failing"
	sed 's/^if \[ "${FAKE_NODEADM_FAIL:-0}" = 1 \]/if true/' "$ROOT/tests/fixtures/nodeadm/nodeadm" > "$T/www/failing/nodeadm"
	grep -q '^if true' "$T/www/failing/nodeadm" || die "cannot make the failing nodeadm"
	(cd "$T/www/failing" && sha256sum nodeadm > nodeadm.sha256)
	FAILING_NODEADM_URL="http://127.0.0.1:$SERVER_PORT/failing/nodeadm"
	FAILING_NODEADM_FLAGS="--nodeadm-url $FAILING_NODEADM_URL --nodeadm-sha256 $(cut -c1-64 "$T/www/failing/nodeadm.sha256")"
}

# iso OS ARCH — a fixture ISO and its checksum flag
iso_flags() {
	echo "--iso $FIXTURES/$1-$2.iso --iso-checksum file:$FIXTURES/SHA256SUMS"
}

# Common flags of a test build: small and loopback-only.
test_build_flags() {
	echo "--accel tcg --disk-size 4G --memory 2048 --cpus 2 --restrict-network --timeout 40m"
}

# Reading images offline. Each libguestfs launch costs about 15 s under TCG,
# so the paths tests look at are copied out of an image in one launch (a
# snapshot in $T/snap, redone when the image file changes) and read from
# there. Every libguestfs call has a time limit: a hang fails the test.
GUESTFS_LIMIT=${GUESTFS_LIMIT:-600}
SNAP_PATHS="/etc /root /opt/nodeadm /usr/lib/systemd/system"
SNAP_LISTS="/var/log"
SNAP_OPTIONAL="/opt/nodeadm"           # not in an image without nodeadm
SNAP_KEY=""

# guest_snap IMAGE — (re)take the snapshot of IMAGE unless it is current
guest_snap() {
	_key="$1 $(stat -c %y "$1")"
	[ "$_key" = "$SNAP_KEY" ] && return 0
	rm -rf "$T/snap"
	mkdir -p "$T/snap/.ls"
	{
		# Every installed system has these: a failure fails the snapshot
		# (a "-" would ignore it, and negative checks would then pass on
		# a snapshot that lacks the files). Optional paths keep the "-".
		for _p in $SNAP_PATHS; do
			mkdir -p "$T/snap$(dirname "$_p")"
			case " $SNAP_OPTIONAL " in
			*" $_p "*) echo "-copy-out $_p $T/snap$(dirname "$_p")" ;;
			*) echo "copy-out $_p $T/snap$(dirname "$_p")" ;;
			esac
		done
		for _p in $SNAP_LISTS; do
			echo "ls $_p | cat > $T/snap/.ls/$(echo "$_p" | tr / _)"
		done
	} > "$T/snap.gf"
	timeout "$GUESTFS_LIMIT" guestfish --ro -a "$1" -i -f "$T/snap.gf" > "$T/snap.log" 2>&1 ||
		{ cat "$T/snap.log"; die "cannot read $1 with libguestfs"; }
	SNAP_KEY=$_key
}

# guest_file IMAGE PATH — print a file from an image (from the snapshot when
# PATH lies under one of SNAP_PATHS; fails when the file is not there)
guest_file() {
	for _p in $SNAP_PATHS; do
		case "$2" in
		"$_p"/*)
			guest_snap "$1"
			[ -f "$T/snap$2" ] || return 1
			cat "$T/snap$2"
			return
			;;
		esac
	done
	timeout "$GUESTFS_LIMIT" virt-cat -a "$1" "$2" 2>/dev/null
}

# guest_ls IMAGE DIR — the names in a directory of an image (DIR under
# SNAP_PATHS or in SNAP_LISTS)
guest_ls() {
	guest_snap "$1"
	case " $SNAP_LISTS " in
	*" $2 "*) cat "$T/snap/.ls/$(echo "$2" | tr / _)" ;;
	*) [ -d "$T/snap$2" ] && ls -A "$T/snap$2" ;;
	esac
}

# guest_edit IMAGE — run the guestfish commands on stdin against IMAGE
# (read-write, one launch)
guest_edit() {
	timeout "$GUESTFS_LIMIT" guestfish -a "$1" -i > "$T/edit.log" 2>&1 ||
		{ cat "$T/edit.log"; die "cannot change $1 with libguestfs"; }
}

# run_build LOG ARGS... — hnbuild build ARGS in the background, sampling every
# process's argv into $T/argv while it runs; returns its exit code.
# start_build LOG ARGS... — hnbuild build in the background (its pid in B)
start_build() {
	_log=$1
	shift
	"$HNBUILD" build "$@" > "$_log" 2>&1 &
	B=$!
	CHILD_PIDS=$B
}

# sample_env PID — append to $T/environ the environment of every process PID
# started (its descendants, not PID itself) and of every QEMU libvirtd
# started for it (a daemon's child: its chain ends at libvirtd or init, not
# at a test's shell); each block is headed "== PID NAME (parent chain)"
sample_env() {
	ps -eo pid=,ppid=,comm= > "$T/ps.now" 2>/dev/null || return 0
	_lv=$(cat /run/libvirtd.pid 2>/dev/null || echo none)
	awk -v root="$1" -v lv="$_lv" '{ parent[$1] = $2; name[$1] = $3 }
		END {
			for (p in parent) {
				q = p
				chain = p
				for (n = 0; n < 64 && q != root && q != lv && (q in parent); n++) {
					q = parent[q]
					chain = chain "<" q
				}
				if ((q == root && p != root) || ((q == lv || q == 1) && name[p] ~ /^qemu/))
					print p, name[p], chain
			}
		}' "$T/ps.now" > "$T/ps.children"
	# PIDs wrap (pid_max 32768) and are reused at once: a short-lived qemu-img's
	# PID can belong to this shell's own next tr by the time it is read, with
	# the test's variables in its environment. So the process must be the same
	# one (name and start time) before and after its environment is copied.
	# A child hnbuild forked that has not exec'd yet still shows hnbuild's
	# own start-up environment (the memory is the parent's copy): skip it,
	# it is no other program.
	_self=$(readlink "/proc/$1/exe" 2>/dev/null)
	while read -r _p _n _chain; do
		[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$_self" ] && continue
		# A QEMU of libvirtd's is this test's when its command line names a
		# path in $T (another test may be running beside this one).
		case $_chain in *"<$1<"* | *"<$1") ;; *)
			tr '\0' ' ' < "/proc/$_p/cmdline" 2>/dev/null | grep -q -- "$T/" || continue ;;
		esac
		_st=$(awk '{ print $22 }' "/proc/$_p/stat" 2>/dev/null) || continue
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = "$_n" ] || continue
		cp "/proc/$_p/environ" "$T/environ.one" 2>/dev/null || continue
		[ "$(awk '{ print $22 }' "/proc/$_p/stat" 2>/dev/null)" = "$_st" ] || continue
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = "$_n" ] || continue
		echo "== $_p $_n ($_chain)" >> "$T/environ"
		tr '\0' '\n' < "$T/environ.one" >> "$T/environ"
	done < "$T/ps.children"
}

run_build() {
	start_build "$@"
	_b=$B
	while kill -0 $_b 2>/dev/null; do
		ps -eo args >> "$T/argv" 2>/dev/null
		sample_env $_b
		sleep 1
	done
	wait $_b
	_rc=$?
	CHILD_PIDS=""
	tail -n 20 "$_log"
	return $_rc
}

# render_matches_build LOG FLAGS... — `hnbuild render` with a build's flags
# writes the install data the build's log says its seed ISO held (each
# "seed: NAME, N bytes, sha256 HEX" line), byte for byte
render_matches_build() {
	_log=$1
	shift
	rm -rf "$T/render-check"
	"$HNBUILD" render "$@" --output-dir "$T/render-check" > "$T/render.out" 2>&1 ||
		{ cat "$T/render.out"; die "render with the build's flags failed"; }
	_n=0
	for _f in "$T/render-check"/*; do
		_name=$(basename "$_f")
		_want=$(sed -n "s/.*seed: $_name, [0-9]* bytes, sha256 \([0-9a-f]*\)\$/\1/p" "$_log" | tail -n 1)
		[ -n "$_want" ] || die "the build log names no $_name on the seed ISO"
		[ "$(sha256sum "$_f" | cut -d' ' -f1)" = "$_want" ] || die "render's $_name differs from the build's"
		_n=$((_n + 1))
	done
	[ $_n -gt 0 ] || die "render wrote nothing"
}

# check_failure_bundle DIR STAGE OUTPUT [PATH...] — a failed build's bundle:
# private, its README names STAGE, timings end with it, OUTPUT (the build's
# output) names DIR, and each PATH is in it (screenshot.png a real PNG)
check_failure_bundle() {
	_fb=$1 _stage=$2 _out=$3
	shift 3
	[ -d "$_fb" ] || die "no failure bundle $_fb"
	[ "$(stat -c %a "$_fb")" = 700 ] || die "the failure bundle $_fb is not private"
	grep -q "failed in stage '$_stage'" "$_fb/README" || { cat "$_fb/README"; die "the bundle's README does not name stage $_stage"; }
	tail -n 1 "$_fb/timings.txt" | grep -q "^$_stage .*(failed)" || { cat "$_fb/timings.txt"; die "the bundle's timings do not end with $_stage"; }
	grep -q "failure bundle: $_fb" "$_out" || die "the build's error does not name its failure bundle"
	for _p in "$@"; do
		[ -e "$_fb/$_p" ] || { cat "$_fb/README"; die "the failure bundle lacks $_p"; }
	done
	case " $* " in *" screenshot.png "*)
		file -b "$_fb/screenshot.png" | grep -q "^PNG image data, [0-9]* x [0-9]*" ||
			die "the bundle's screenshot is not a PNG: $(file -b "$_fb/screenshot.png")" ;;
	esac
	[ -z "$(find "$_fb" -type f -perm /077)" ] || die "files in the bundle others can read: $(find "$_fb" -type f -perm /077)"
}

# check_outputs BASE EXT... — every output exists, SHA256SUMS and manifest.json hold
check_outputs() {
	_base=$1
	shift
	for _e in "$@"; do
		[ -s "$_base.$_e" ] || die "missing output $_base.$_e"
	done
	(cd "$(dirname "$_base")" && sha256sum -c --quiet SHA256SUMS) || die "SHA256SUMS does not match the outputs"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$(dirname "$_base")/manifest.json" ||
		die "manifest.json is missing or not JSON"
}

# check_tracker IMAGE WORD... — what nodeadm install was asked, from its tracker
check_tracker() {
	_img=$1
	shift
	guest_file "$_img" /opt/nodeadm/tracker > "$T/tracker" || die "no /opt/nodeadm/tracker in the image"
	cat "$T/tracker"
	for _w in "$@"; do
		grep -q -- "$_w" "$T/tracker" || die "tracker lacks '$_w'"
	done
}

# check_clean IMAGE — what generalize must have removed, checked independently
check_clean() {
	guest_file "$1" /etc/machine-id > "$T/machine-id" || die "no /etc/machine-id in the image"
	[ -s "$T/machine-id" ] && die "/etc/machine-id is not empty"
	guest_ls "$1" /etc/ssh | grep -q ssh_host_ && die "SSH host keys left in the image"
	guest_ls "$1" /var/log | grep -qx installer && die "/var/log/installer left in the image"
	guest_ls "$1" /root | grep -q -- '-ks.cfg' && die "kickstart copies left in /root"
	guest_file "$1" /etc/passwd | grep -q '^hnbuild:' && die "build user left in /etc/passwd"
	"$HNBUILD" inspect "$1" > "$T/inspect" 2>&1 || { cat "$T/inspect"; die "hnbuild inspect reports findings"; }
}

# check_canaries RAW_IMAGE LOG... CANARY... — after "--": no canary anywhere
check_canaries() {
	_raw=$1
	shift
	_logs=""
	while [ "$1" != "--" ]; do
		_logs="$_logs $1"
		shift
	done
	shift
	# A file that is missing would make grep fail with 2, which must not
	# pass for "not found".
	for _f in "$_raw" $_logs "$T/argv" "$T/environ"; do
		[ -s "$_f" ] || die "check_canaries: $_f is missing or empty"
	done
	grep -q "^== [0-9]* qemu" "$T/environ" || die "check_canaries: no QEMU's environment was sampled"
	for _c in "$@"; do
		absent "$_c" -a "$_raw" || die "canary $_c found in the image bytes"
		# shellcheck disable=SC2086
		absent "$_c" $_logs || die "canary $_c found in the build output/log"
		absent "$_c" "$T/argv" || die "canary $_c found in a process's argv"
		absent "$_c" "$T/environ" ||
			die "canary $_c found in the environment of a process hnbuild started: $(grep -B999 -- "$_c" "$T/environ" | grep '^== ' | tail -n 1)"
	done
	return 0
}

# absent TEXT [-a] FILE... — true when no FILE holds TEXT; a read error dies
absent() {
	_t=$1
	shift
	_a=""
	[ "$1" = -a ] && { _a=-a; shift; }
	grep $_a -q -- "$_t" "$@"
	case $? in
	0) return 1 ;;
	1) return 0 ;;
	*) die "grep could not read $*" ;;
	esac
}
