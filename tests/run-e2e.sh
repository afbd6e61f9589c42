#!/bin/sh
# run-e2e.sh — run the end-to-end tests (tests/e2e/NN-*.sh) in order against
# real libvirtd, QEMU and libguestfs. E2E_ONLY=pattern picks a subset.
set -u
cd "$(dirname "$0")/.."
export HNBUILD="$PWD/hnbuild"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
pass=0 fail=0 failed="" skip=0
# A whole run starts with an empty installed-base cache (tests/e2e/lib.sh).
[ -n "${E2E_ONLY:-}" ] || rm -rf build/e2e-cache
# Images one test builds for another carry this run's id (lib.sh mark_run).
export E2E_RUN_ID="${E2E_RUN_ID:-$(date +%s)-$$}"
for t in tests/e2e/[0-9]*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *${E2E_ONLY:-}*) ;; *) continue ;; esac
	# Tests marked "e2e: full" repeat what others cover and run only in
	# `make check-full` (E2E_FULL=1), to keep `make check` within CI's time.
	if grep -q '^# e2e: full' "$t" && [ "${E2E_FULL:-0}" != 1 ]; then
		echo "SKIP $t (make check-full)"
		skip=$((skip + 1))
		continue
	fi
	start=$(date +%s)
	# A hung test must not eat CI's budget: each gets a limit (default 20 min;
	# a test may ask for more in `make check-full` with "# e2e-full-limit: S").
	limit=${E2E_TIMEOUT:-1200}
	full_limit=$(sed -n 's/^# e2e-full-limit: \([0-9]*\)$/\1/p' "$t")
	[ "${E2E_FULL:-0}" = 1 ] && [ -n "$full_limit" ] && limit=$full_limit
	if timeout -k 60 "$limit" sh "$t" > "build/e2e-$(basename "$t" .sh).log" 2>&1; then
		pass=$((pass + 1)); echo "PASS $t ($(( $(date +%s) - start )) s)"
	else
		fail=$((fail + 1)); failed="$failed $t"
		echo "FAIL $t ($(( $(date +%s) - start )) s); last lines of its log:"
		tail -n 30 "build/e2e-$(basename "$t" .sh).log" | sed 's/^/    /'
	fi
done
echo "e2e: $pass passed, $fail failed${failed:+:$failed}, $skip skipped (make check-full runs them)"
# A pattern that selects nothing is a failure, not an empty success.
[ $((pass + fail)) -gt 0 ] || { echo "e2e: no test ran (E2E_ONLY=${E2E_ONLY:-})"; exit 1; }
[ $fail -eq 0 ]
