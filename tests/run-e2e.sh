#!/bin/sh
# run-e2e.sh — run the end-to-end tests (tests/e2e/NN-*.sh) against real
# libvirtd, QEMU and libguestfs, E2E_JOBS at a time (default 2: a TCG guest
# keeps about one core busy, and much of a test is waiting on it).
# E2E_ONLY=pattern picks a subset.
#
# What a test says about itself, in header lines:
#   # e2e: full            repeats others' coverage: only in make check-full
#   # e2e: alone           runs with no other test beside it
#   # e2e-after: 20 24     starts after those tests (by number) have passed;
#                          if one failed, it is not run and counts as failed
#   # e2e-cost: 410        about how long it takes, in seconds; the longest
#                          chain of costs starts first
#   # e2e-full-limit: S    its time limit in make check-full
set -u
cd "$(dirname "$0")/.."
export HNBUILD="$PWD/hnbuild"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
JOBS=${E2E_JOBS:-2}
case $JOBS in '' | *[!0-9]* | 0) echo "e2e: E2E_JOBS must be a positive number, not '$JOBS'"; exit 2 ;; esac
# A whole run starts with an empty installed-base cache (tests/e2e/lib.sh).
[ -n "${E2E_ONLY:-}" ] || rm -rf build/e2e-cache
# Images one test builds for another carry this run's id (lib.sh mark_run).
export E2E_RUN_ID="${E2E_RUN_ID:-$(date +%s)-$$}"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/hnbuild-e2e-run.XXXXXX")
trap 'rm -rf "$RUN"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# header TEST NAME — the value of TEST's "# NAME: value" line (up to a " — " comment)
header() { sed -n "s/^# $2: *//p" "$1" | head -n 1 | sed 's/ *—.*//'; }
num() { basename "$1" | cut -d- -f1; }

pass=0 fail=0 failed="" skip=0
: > "$RUN/plan"
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
	alone=0
	grep -q '^# e2e: alone' "$t" && alone=1
	cost=$(header "$t" e2e-cost)
	echo "$(num "$t") $t ${cost:-60} $alone $(header "$t" e2e-after)" >> "$RUN/plan"
done
# A pattern that selects nothing is a failure, not an empty success.
[ -s "$RUN/plan" ] || { echo "e2e: no test ran (E2E_ONLY=${E2E_ONLY:-})"; exit 1; }

# Priority: a test's cost plus the longest chain of tests waiting on it;
# dependencies outside this run's selection are ignored (the test's own
# require_run says what it misses). Highest first, then by number.
awk '{ n[NR] = $1; line[NR] = $0; cost[$1] = $3; sel[$1] = 1
	for (i = 5; i <= NF; i++) dep[$1, i - 4] = $i; nd[$1] = NF - 4 }
	function prio(x,    best, j, k, p) {
		if (x in memo) return memo[x]
		best = 0
		for (j = 1; j <= NR; j++)
			for (k = 1; k <= nd[n[j]]; k++)
				if (dep[n[j], k] == x) { p = prio(n[j]); if (p > best) best = p }
		return memo[x] = cost[x] + best
	}
	END { for (j = 1; j <= NR; j++) {
		deps = ""
		for (k = 1; k <= nd[n[j]]; k++) if (dep[n[j], k] in sel) deps = deps " " dep[n[j], k]
		split(line[j], f, " ")
		printf "%d %s %s %s%s\n", prio(n[j]), f[1], f[2], f[4], deps } }' "$RUN/plan" |
	sort -k1,1nr -k2,2 > "$RUN/queue"

# state: $RUN/state.NN is "pass" or "fail" once NN has ended; running tests
# are "PID NN TEST START" lines in $RUN/running.
: > "$RUN/running"
running=0 alone_running=0 start_all=$(date +%s)
finish() { # PID NN TEST START RC
	if [ "$5" = 0 ]; then
		pass=$((pass + 1)); echo pass > "$RUN/state.$2"
		echo "PASS $3 ($(( $(date +%s) - $4 )) s)"
	else
		fail=$((fail + 1)); failed="$failed $3"; echo fail > "$RUN/state.$2"
		echo "FAIL $3 ($(( $(date +%s) - $4 )) s); last lines of its log:"
		tail -n 30 "build/e2e-$(basename "$3" .sh).log" | sed 's/^/    /'
	fi
}
launch() { # NN TEST ALONE
	# A hung test must not eat CI's budget: each gets a limit (default 30 min: tests run side by side;
	# a test may ask for more in `make check-full` with "# e2e-full-limit: S").
	limit=${E2E_TIMEOUT:-1800}
	full_limit=$(header "$2" e2e-full-limit)
	[ "${E2E_FULL:-0}" = 1 ] && [ -n "$full_limit" ] && limit=$full_limit
	timeout -k 60 "$limit" sh "$2" < /dev/null > "build/e2e-$(basename "$2" .sh).log" 2>&1 &
	echo "$! $1 $2 $(date +%s) $3" >> "$RUN/running"
	running=$((running + 1))
	[ "$3" = 1 ] && alone_running=1
}
while [ -s "$RUN/queue" ] || [ $running -gt 0 ]; do
	# Reap the tests that have ended.
	: > "$RUN/still"
	while read -r pid nn t start alone; do
		if kill -0 "$pid" 2>/dev/null; then
			echo "$pid $nn $t $start $alone" >> "$RUN/still"
		else
			wait "$pid"
			finish "$pid" "$nn" "$t" "$start" $?
			running=$((running - 1))
			[ "$alone" = 1 ] && alone_running=0
		fi
	done < "$RUN/running"
	mv "$RUN/still" "$RUN/running"
	# Start what may start, highest priority first.
	: > "$RUN/left"
	while read -r prio nn t alone deps; do
		ready=1
		for d in $deps; do
			case $(cat "$RUN/state.$d" 2>/dev/null) in
			pass) ;;
			fail) ready=fail ;;
			*) [ $ready = 1 ] && ready=0 ;;
			esac
		done
		if [ $ready = fail ]; then
			fail=$((fail + 1)); failed="$failed $t"; echo fail > "$RUN/state.$nn"
			echo "FAIL $t (not run: a test it needs ($deps) failed)"
		elif [ $ready = 1 ] && [ $alone_running = 0 ] && [ $running -lt "$JOBS" ] &&
			{ [ "$alone" = 0 ] || [ $running = 0 ]; }; then
			launch "$nn" "$t" "$alone"
		else
			echo "$prio $nn $t $alone $deps" >> "$RUN/left"
		fi
	done < "$RUN/queue"
	mv "$RUN/left" "$RUN/queue"
	[ $running -gt 0 ] && sleep 2
done
echo "e2e: $pass passed, $fail failed${failed:+:$failed}, $skip skipped (make check-full runs them); $(( $(date +%s) - start_all )) s with $JOBS at a time"
[ $fail -eq 0 ]
