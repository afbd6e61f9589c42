#!/bin/sh
# run-unit.sh BIN... — run each unit test binary (check framework); with
# VALGRIND=1 under valgrind with leak checking. Fails if any fails.
set -u
fail=0
# Golden files are rewritten only on a developer's request, never in CI.
if [ -n "${HNBUILD_UPDATE_GOLDEN:-}" ] && [ -n "${CI:-}" ]; then
	echo "unit tests: HNBUILD_UPDATE_GOLDEN is set in CI (CI=$CI): refusing to rewrite golden files" >&2
	exit 1
fi
# No binary to run is a failure, not an empty success.
[ $# -gt 0 ] || { echo "unit tests: none given"; exit 1; }
for t in "$@"; do
	if [ "${VALGRIND:-0}" = 1 ]; then
		CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			"$t" || fail=1
	else
		"$t" || fail=1
	fi
done
[ $fail -eq 0 ] && echo "unit tests: all $# passed" || echo "unit tests: FAILED"
exit $fail
