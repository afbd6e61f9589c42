#!/bin/sh
# run.sh BUILD LIBFUZZER-ARGS... -- NAME... — run each fuzz target BUILD/fuzz_NAME
# on a scratch copy of its seed corpus (tests/fuzz/corpus/NAME; what it finds
# stays out of the tree), one line per target; fails on the first crash,
# leak or sanitizer report, leaving the reproducer in BUILD/fuzz-crashes.
set -u
build=$1
shift
args=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	args="$args $1"
	shift
done
shift
here=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/hnbuild-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$build/fuzz-crashes"
failed=0
for n in "$@"; do
	[ -d "$here/corpus/$n" ] || { echo "fuzz: $n has no seed corpus (tests/fuzz/corpus/$n)" >&2; exit 1; }
	mkdir -p "$work/$n"
	cp "$here/corpus/$n"/* "$work/$n"/
	# shellcheck disable=SC2086
	TMPDIR=$work "$build/fuzz_$n" $args -artifact_prefix="$build/fuzz-crashes/$n-" -print_final_stats=1 \
		"$work/$n" > "$work/$n.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$n.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$work/$n.log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz: $n: ${runs:-?} inputs, ${cov:-cov: ?}, no crash"
	else
		echo "fuzz: $n: FAILED (exit $rc) after ${runs:-?} inputs; reproducer in $build/fuzz-crashes" >&2
		tail -n 40 "$work/$n.log" >&2
		failed=1
	fi
done
exit $failed
