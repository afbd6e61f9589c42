#!/bin/sh
# cache.sh — `make bench`, part 2: what the installed-base cache saves, on the
# Ubuntu 24.04 amd64 fixture ISO (TCG), measured in one run with date(1):
#   full     a build with an empty cache (installs, stores the base)
#   cached   the same build for another Kubernetes version (skips the install)
#            goal: at most 30 % of full
#   matrix   --k8s-version 1.30,1.31,1.32 with an empty cache (one install,
#            three images) goal: at most 1.8 x full
# Needs the fixtures (make fixtures) and libvirtd (tools/services.sh).
. "$(dirname "$0")/../e2e/lib.sh"
[ -s "$FIXTURES/ubuntu24-amd64.iso" ] || die "no fixture ISO: run make fixtures"
start_nodeadm_server
FLAGS="--os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags) $NODEADM_FLAGS"
export XDG_CACHE_HOME=$T/bench-cache

now() { date +%s.%N; }
timed() { # NAME ARGS... — one build, its wall time in $T/NAME.s
	_name=$1
	shift
	_t0=$(now)
	# shellcheck disable=SC2086
	"$HNBUILD" build $FLAGS "$@" > "$T/$_name.out" 2>&1 || { cat "$T/$_name.out"; die "bench build $_name failed"; }
	awk -v a="$_t0" -v b="$(now)" 'BEGIN { printf "%.0f\n", b - a }' > "$T/$_name.s"
}

say "bench: full build (empty cache)"
timed full --k8s-version 1.30 --output-dir "$T/full"
say "bench: cached rebuild for another Kubernetes version"
timed cached --k8s-version 1.31 --output-dir "$T/cached"
grep -q "install: cached base" "$T/cached.out" || die "the rebuild did not use the cached base"
rm -rf "$XDG_CACHE_HOME"
say "bench: three-version matrix (empty cache)"
timed matrix --k8s-version 1.30,1.31,1.32 --output-dir "$T/matrix"
ls "$T"/matrix/*.qcow2 | wc -l | grep -qx 3 || die "the matrix did not make three images"

full=$(cat "$T/full.s") cached=$(cat "$T/cached.s") matrix=$(cat "$T/matrix.s")
printf '\n%-52s %8s %10s\n' "installed-base cache (ubuntu24 amd64 fixture, TCG)" "seconds" "x full"
printf '%-52s %8s %10s\n' "full build (install + provision + export)" "$full" "1.00"
printf '%-52s %8s %10s\n' "cached rebuild, another k8s version (goal <= 0.30)" "$cached" \
	"$(awk -v a="$cached" -v b="$full" 'BEGIN { printf "%.2f", a / b }')"
printf '%-52s %8s %10s\n' "3-version matrix from one install (goal <= 1.80)" "$matrix" \
	"$(awk -v a="$matrix" -v b="$full" 'BEGIN { printf "%.2f", a / b }')"
echo "bench: load average now $(cut -d' ' -f1-3 /proc/loadavg) (other processes skew the figures)"
