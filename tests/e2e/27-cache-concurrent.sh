#!/bin/sh
# e2e-cost: 300
# e2e: full
# 27-cache-concurrent.sh — two builds of one installed-base key started
# together, with an empty cache: one installs and stores the base, the
# other says it waits for it and then builds on it; both succeed. (The lock
# protocol itself is in tests/unit/test_basecache.c, in `make check`.)
. "$(dirname "$0")/lib.sh"

start_nodeadm_server
FLAGS="--os ubuntu24 --arch amd64 $(iso_flags ubuntu24 amd64) $(test_build_flags) $NODEADM_FLAGS"
say "two builds of one key at once"
# shellcheck disable=SC2086
"$HNBUILD" build $FLAGS --k8s-version 1.30 --output-dir "$T/a" > "$T/a.out" 2>&1 &
A=$!
sleep 2
# shellcheck disable=SC2086
"$HNBUILD" build $FLAGS --k8s-version 1.31 --output-dir "$T/b" > "$T/b.out" 2>&1 &
B=$!
CHILD_PIDS="$A $B"
wait $A
ra=$?
wait $B
rb=$?
CHILD_PIDS=""
[ $ra = 0 ] || { tail -n 30 "$T/a.out"; die "build a failed with exit $ra"; }
[ $rb = 0 ] || { tail -n 30 "$T/b.out"; die "build b failed with exit $rb"; }
[ "$(cat "$T/a.out" "$T/b.out" | grep -c "install: stored the installed base in the cache")" = 1 ] ||
	die "not exactly one install was stored"
[ "$(cat "$T/a.out" "$T/b.out" | grep -c "installer powered off")" = 1 ] || die "the OS was installed more than once"
cat "$T/a.out" "$T/b.out" | grep -q "another build is installing the same base" || die "neither build waited for the other"
cat "$T/a.out" "$T/b.out" | grep -q "install: cached base" || die "the waiting build did not use the stored base"
check_tracker "$T/a/eks-hybrid-ubuntu24-amd64-k8s1.30.qcow2" "kubernetes=1.30"
check_tracker "$T/b/eks-hybrid-ubuntu24-amd64-k8s1.31.qcow2" "kubernetes=1.31"
no_domains
no_temp_files
say "PASS"
